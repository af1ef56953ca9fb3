/*
 * TLS for the load client and the bundled server, with OpenSSL when built with -DC1M_TLS (and
 * -lssl -lcrypto). Without it tls_available() says no and the setups fail with the package to
 * install, so both programs still build on a machine without libssl-dev and refuse TLS in one line.
 *
 * One SSL_CTX for the process, TLS 1.2 or newer, SSL_MODE_RELEASE_BUFFERS so an idle connection
 * keeps no read or write buffer. The client's (tls_setup) verifies the peer unless --insecure
 * (against --ca FILE, or the system's store) and offers ALPN when asked. The server's
 * (tls_server_setup) makes its own P-256 key and a self-signed certificate for the run, and picks
 * http/1.1 when the client offers it. Each connection has its own SSL, driven without blocking by
 * tls_step() from the epoll loop.
 */
#ifndef C1M_TLS_H
#define C1M_TLS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef C1M_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

typedef SSL tls_conn;
static SSL_CTX *tls_ctx;

static inline int tls_available(void) { return 1; }

/* The process's context; returns -1 with the reason in why. */
static inline int tls_setup(const char *ca_file, int insecure, const char *alpn, char *why, size_t why_len) {
  tls_ctx = SSL_CTX_new(TLS_client_method());
  if (!tls_ctx) { snprintf(why, why_len, "SSL_CTX_new failed"); return -1; }
  SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(tls_ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
  if (insecure) {
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
  } else {
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
    int ok = ca_file ? SSL_CTX_load_verify_locations(tls_ctx, ca_file, NULL) : SSL_CTX_set_default_verify_paths(tls_ctx);
    if (ok != 1) { snprintf(why, why_len, "cannot load the CA file %s", ca_file ? ca_file : "(system store)"); return -1; }
  }
  if (alpn && *alpn) {
    unsigned char wire[64];
    size_t len = strlen(alpn);
    if (len > 62) { snprintf(why, why_len, "ALPN name too long"); return -1; }
    wire[0] = (unsigned char)len;
    memcpy(wire + 1, alpn, len);
    if (SSL_CTX_set_alpn_protos(tls_ctx, wire, (unsigned)len + 1) != 0) { snprintf(why, why_len, "cannot set ALPN"); return -1; }
  }
  return 0;
}

/*
 * A TLS connection over fd. servername (a DNS name) goes in SNI and is the name the certificate
 * must carry; without it the certificate must carry the target's IP address.
 */
static inline tls_conn *tls_new(int fd, const char *servername, const char *ip) {
  SSL *ssl = SSL_new(tls_ctx);
  if (!ssl) return NULL;
  SSL_set_fd(ssl, fd);
  X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
  if (servername) {
    SSL_set_tlsext_host_name(ssl, servername);
    X509_VERIFY_PARAM_set1_host(param, servername, 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  }
  SSL_set_connect_state(ssl);
  return ssl;
}

/* ALPN on the server: http/1.1 when the client offers it, else none. */
static inline int tls_pick_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned inlen, void *arg) {
  (void)ssl; (void)arg;
  for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
    if (in[i] == 8 && i + 9 <= inlen && memcmp(in + i + 1, "http/1.1", 8) == 0) { *out = in + i + 1; *outlen = 8; return SSL_TLSEXT_ERR_OK; }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

/* The server's context: a fresh P-256 key and a self-signed certificate (CN c1m-probe, one day). */
static inline int tls_server_setup(char *why, size_t why_len) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  tls_ctx = SSL_CTX_new(TLS_server_method());
  if (!key || !cert || !tls_ctx) { snprintf(why, why_len, "cannot make the server's key and certificate"); return -1; }
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"c1m-probe", -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (!X509_sign(cert, key, EVP_sha256()) || SSL_CTX_use_certificate(tls_ctx, cert) != 1 || SSL_CTX_use_PrivateKey(tls_ctx, key) != 1) {
    snprintf(why, why_len, "cannot sign or use the server's certificate");
    return -1;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(tls_ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(tls_ctx, 0);
  SSL_CTX_set_alpn_select_cb(tls_ctx, tls_pick_alpn, NULL);
  return 0;
}

/* The server's side of a TLS connection over an accepted fd. */
static inline tls_conn *tls_accept_new(int fd) {
  SSL *ssl = SSL_new(tls_ctx);
  if (!ssl) return NULL;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

/*
 * One step of the handshake: 1 done, 0 waiting (*want_write says for which direction), -1 failed
 * with the reason in why.
 */
static inline int tls_step(tls_conn *ssl, int *want_write, char *why, size_t why_len) {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl);
  if (rc == 1) return 1;
  int err = SSL_get_error(ssl, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) { *want_write = err == SSL_ERROR_WANT_WRITE; return 0; }
  long verify = SSL_get_verify_result(ssl);
  unsigned long e = ERR_peek_last_error();
  if (verify != X509_V_OK) snprintf(why, why_len, "certificate verify failed: %s", X509_verify_cert_error_string(verify));
  else if (e) { char text[120]; ERR_error_string_n(e, text, sizeof text); snprintf(why, why_len, "%s", text); }
  else snprintf(why, why_len, "the %s closed the connection during the handshake", SSL_is_server(ssl) ? "client" : "server");
  return -1;
}

/* read()/write() through TLS: -1 with errno EAGAIN when it must wait, 0 at the peer's close. */
static inline ssize_t tls_read(tls_conn *ssl, void *buf, size_t n) {
  ERR_clear_error();
  int rc = SSL_read(ssl, buf, (int)n);
  if (rc > 0) return rc;
  int err = SSL_get_error(ssl, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) { errno = EAGAIN; return -1; }
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  errno = ECONNRESET;
  return -1;
}

static inline ssize_t tls_write(tls_conn *ssl, const void *buf, size_t n) {
  ERR_clear_error();
  int rc = SSL_write(ssl, buf, (int)n);
  if (rc > 0) return rc;
  int err = SSL_get_error(ssl, rc);
  errno = err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? EAGAIN : ECONNRESET;
  return -1;
}

/* Bytes already decrypted and waiting in the SSL: epoll cannot see them. */
static inline int tls_pending(tls_conn *ssl) { return SSL_pending(ssl); }

static inline void tls_free(tls_conn *ssl) { SSL_free(ssl); }

/* The negotiated version, cipher and ALPN protocol, as JSON fields (no leading comma). */
static inline void tls_describe(tls_conn *ssl, char *out, size_t len) {
  const unsigned char *alpn = NULL;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  char proto[64] = "";
  if (alpn_len > 0 && alpn_len < sizeof proto) { memcpy(proto, alpn, alpn_len); proto[alpn_len] = 0; }
  for (char *c = proto; *c; c++) if (*c == '"' || *c == '\\' || *c < 0x20) *c = '?';
  snprintf(out, len, "\"tlsVersion\":\"%s\",\"tlsCipher\":\"%s\",\"alpn\":\"%s\"", SSL_get_version(ssl), SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), proto);
}

#else

typedef struct tls_none tls_conn;
static inline int tls_available(void) { return 0; }
static inline int tls_setup(const char *ca_file, int insecure, const char *alpn, char *why, size_t why_len) {
  (void)ca_file; (void)insecure; (void)alpn;
  snprintf(why, why_len, "this build of the native client has no TLS: install the OpenSSL headers (apt-get install libssl-dev) and run again");
  return -1;
}
static inline tls_conn *tls_new(int fd, const char *servername, const char *ip) { (void)fd; (void)servername; (void)ip; return NULL; }
static inline int tls_server_setup(char *why, size_t why_len) {
  snprintf(why, why_len, "this build of the native server has no TLS: install the OpenSSL headers (apt-get install libssl-dev) and run again");
  return -1;
}
static inline tls_conn *tls_accept_new(int fd) { (void)fd; return NULL; }
static inline int tls_step(tls_conn *ssl, int *want_write, char *why, size_t why_len) { (void)ssl; (void)want_write; snprintf(why, why_len, "no TLS"); return -1; }
static inline ssize_t tls_read(tls_conn *ssl, void *buf, size_t n) { (void)ssl; (void)buf; (void)n; errno = ENOTSUP; return -1; }
static inline ssize_t tls_write(tls_conn *ssl, const void *buf, size_t n) { (void)ssl; (void)buf; (void)n; errno = ENOTSUP; return -1; }
static inline int tls_pending(tls_conn *ssl) { (void)ssl; return 0; }
static inline void tls_free(tls_conn *ssl) { (void)ssl; }
static inline void tls_describe(tls_conn *ssl, char *out, size_t len) { (void)ssl; snprintf(out, len, "\"tlsVersion\":\"\""); }

#endif
/* read() and write() of a connection, through TLS when it has it (ssl not NULL). */
static inline ssize_t io_read(tls_conn *ssl, int fd, void *buf, size_t n) { return ssl ? tls_read(ssl, buf, n) : read(fd, buf, n); }
static inline ssize_t io_write(tls_conn *ssl, int fd, const void *buf, size_t n) { return ssl ? tls_write(ssl, buf, n) : write(fd, buf, n); }

#endif
