#ifndef DIRECTLINK_COPENSSL_SHIM_H
#define DIRECTLINK_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/cms.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>

/* Macros and variadics that Swift cannot import directly. */
static inline long CDirectLink_BIO_get_mem_data(BIO *bio, char **pp) { return BIO_get_mem_data(bio, pp); }
static inline int CDirectLink_EVP_PKEY_CTX_set1_id(EVP_PKEY_CTX *ctx, const void *id, int len) { return EVP_PKEY_CTX_set1_id(ctx, id, len); }
static inline void CDirectLink_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline void CDirectLink_OPENSSL_cleanse_free(void *p, size_t len) { OPENSSL_clear_free(p, len); }
/* RFC 2253 one-line names with UTF-8 left unescaped, so Chinese O= stays readable. */
static inline unsigned long CDirectLink_XN_FLAG_RFC2253_UTF8(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }
static inline STACK_OF(X509) *CDirectLink_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int CDirectLink_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline int CDirectLink_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *CDirectLink_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline void CDirectLink_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline void CDirectLink_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline int CDirectLink_sk_CMS_SignerInfo_num(const STACK_OF(CMS_SignerInfo) *sk) { return sk_CMS_SignerInfo_num(sk); }
static inline CMS_SignerInfo *CDirectLink_sk_CMS_SignerInfo_value(const STACK_OF(CMS_SignerInfo) *sk, int i) { return sk_CMS_SignerInfo_value(sk, i); }
static inline int CDirectLink_ERR_GET_LIB(unsigned long e) { return ERR_GET_LIB(e); }
static inline int CDirectLink_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }
#endif
