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
#endif
