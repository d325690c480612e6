#ifndef DIRECTLINK_CLIBXML2_SHIM_H
#define DIRECTLINK_CLIBXML2_SHIM_H
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/c14n.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/encoding.h>
#include <libxml/SAX2.h>

/* xmlFree is a macro over a per-thread global in threaded builds; Swift cannot import it. */
static inline void CDirectLink_xmlFree(void *p) { xmlFree(p); }

/* Hardening callbacks for the parser, in C because libxml2 calls them for every element. The state lives in the
   caller's CDirectLinkParseGuard, reached through ctxt->_private; the first violation stops the parser and is
   reported to Swift by its kind, line and (for DOCTYPE and attribute counts) a copy of the element's name. */
enum {
    CDirectLink_violationNone = 0,
    CDirectLink_violationDoctype = 1,
    CDirectLink_violationExternalSubset = 2,
    CDirectLink_violationEntity = 3,
    CDirectLink_violationDepth = 4,
    CDirectLink_violationAttributes = 5,
    CDirectLink_violationElements = 6,
    CDirectLink_violationProcessingInstruction = 7
};

typedef struct {
    int depthMax;
    int attributesMax;
    int elementsMax;
    int depth;
    int elements;
    int violation;
    int line;
    int count;
    char name[64];
} CDirectLinkParseGuard;

static inline void CDirectLink_guardStop(void *ctx, int violation, const xmlChar *name, int count) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
    CDirectLinkParseGuard *guard = (CDirectLinkParseGuard *)ctxt->_private;
    if (guard->violation == CDirectLink_violationNone) {
        guard->violation = violation;
        guard->line = xmlSAX2GetLineNumber(ctx);
        guard->count = count;
        guard->name[0] = 0;
        if (name != NULL) {
            size_t i = 0;
            for (; i < sizeof(guard->name) - 1 && name[i] != 0; i++) guard->name[i] = (char)name[i];
            guard->name[i] = 0;
        }
    }
    xmlStopParser(ctxt);
}

static inline void CDirectLink_guardInternalSubset(void *ctx, const xmlChar *name, const xmlChar *e, const xmlChar *s) {
    (void)e; (void)s;
    CDirectLink_guardStop(ctx, CDirectLink_violationDoctype, name, 0);
}

static inline void CDirectLink_guardExternalSubset(void *ctx, const xmlChar *name, const xmlChar *e, const xmlChar *s) {
    (void)e; (void)s;
    CDirectLink_guardStop(ctx, CDirectLink_violationExternalSubset, name, 0);
}

static inline void CDirectLink_guardEntityDecl(void *ctx, const xmlChar *name, int type, const xmlChar *p, const xmlChar *s, xmlChar *c) {
    (void)type; (void)p; (void)s; (void)c;
    CDirectLink_guardStop(ctx, CDirectLink_violationEntity, name, 0);
}

static inline void CDirectLink_guardProcessingInstruction(void *ctx, const xmlChar *target, const xmlChar *data) {
    (void)data;
    CDirectLink_guardStop(ctx, CDirectLink_violationProcessingInstruction, target, 0);
}

static inline void CDirectLink_guardStartElementNs(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                                                   int nbNamespaces, const xmlChar **namespaces, int nbAttributes,
                                                   int nbDefaulted, const xmlChar **attributes) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
    CDirectLinkParseGuard *guard = (CDirectLinkParseGuard *)ctxt->_private;
    if (guard->depth >= guard->depthMax) {
        CDirectLink_guardStop(ctx, CDirectLink_violationDepth, localname, guard->depthMax);
        return;
    }
    if (nbNamespaces + nbAttributes > guard->attributesMax) {
        CDirectLink_guardStop(ctx, CDirectLink_violationAttributes, localname, nbNamespaces + nbAttributes);
        return;
    }
    if (guard->elements >= guard->elementsMax) {
        CDirectLink_guardStop(ctx, CDirectLink_violationElements, localname, guard->elementsMax);
        return;
    }
    guard->depth += 1;
    guard->elements += 1;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nbNamespaces, namespaces, nbAttributes, nbDefaulted, attributes);
}

static inline void CDirectLink_guardEndElementNs(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
    CDirectLinkParseGuard *guard = (CDirectLinkParseGuard *)ctxt->_private;
    guard->depth -= 1;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/* Points the context at `guard` and installs the callbacks above. */
static inline void CDirectLink_installGuard(xmlParserCtxtPtr ctxt, CDirectLinkParseGuard *guard) {
    ctxt->_private = guard;
    if (ctxt->sax == NULL) return;
    ctxt->sax->internalSubset = CDirectLink_guardInternalSubset;
    ctxt->sax->externalSubset = CDirectLink_guardExternalSubset;
    ctxt->sax->entityDecl = CDirectLink_guardEntityDecl;
    ctxt->sax->startElementNs = CDirectLink_guardStartElementNs;
    ctxt->sax->endElementNs = CDirectLink_guardEndElementNs;
    ctxt->sax->processingInstruction = CDirectLink_guardProcessingInstruction;
}

/* Visibility callbacks for xmlC14NExecute, in C because libxml2 calls them for every node and namespace of the
   document. `user` is the subtree's root element. libxml2 passes namespace nodes (xmlNs, whose `type` field sits
   where xmlNode's does) with the owning element as `parent`. */
static inline int CDirectLink_c14nIsInside(void *user, xmlNodePtr node, xmlNodePtr parent) {
    xmlNodePtr current = (node != NULL && node->type == XML_NAMESPACE_DECL) ? parent : node;
    while (current != NULL) {
        if (current == (xmlNodePtr)user) return 1;
        if (current->type == XML_DOCUMENT_NODE) return 0;
        current = current->parent;
    }
    return 0;
}

static inline int CDirectLink_c14nInsideSubtree(void *user, xmlNodePtr node, xmlNodePtr parent) {
    return CDirectLink_c14nIsInside(user, node, parent);
}

static inline int CDirectLink_c14nOutsideSubtree(void *user, xmlNodePtr node, xmlNodePtr parent) {
    return !CDirectLink_c14nIsInside(user, node, parent);
}
#endif
