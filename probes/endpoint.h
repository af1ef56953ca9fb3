/*
 * Endpoints on the command line: "IP:PORT" to listen on or connect to, "IP:LO-HI" to bind from. IP is
 * an IPv4 address or an IPv6 address in brackets ("[::1]:9000", "[fd00:c1::5]:1024-65535").
 */
#ifndef C1M_ENDPOINT_H
#define C1M_ENDPOINT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct source { struct sockaddr_storage ip; int lo, hi; };

/* The length of an IPv4 or IPv6 socket address. */
static inline socklen_t addr_len(const struct sockaddr_storage *a) {
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static inline void set_port(struct sockaddr_storage *a, uint16_t port) {
  if (a->ss_family == AF_INET6) ((struct sockaddr_in6 *)a)->sin6_port = htons(port);
  else ((struct sockaddr_in *)a)->sin_port = htons(port);
}

static inline int get_port(const struct sockaddr_storage *a) {
  return ntohs(a->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)a)->sin6_port : ((const struct sockaddr_in *)a)->sin_port);
}

/* The address as text (no port, no brackets), for TLS's check of an IP in the certificate. */
static inline void addr_text(const struct sockaddr_storage *a, char *out, socklen_t size) {
  const void *ip = a->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr : (const void *)&((const struct sockaddr_in *)a)->sin_addr;
  if (!inet_ntop(a->ss_family, ip, out, size)) out[0] = 0;
}

/* The address before the port's colon into ip (port 0); returns what follows the colon, or NULL. */
static inline const char *parse_host(const char *text, struct sockaddr_storage *ip) {
  char host[INET6_ADDRSTRLEN + 2];
  memset(ip, 0, sizeof *ip);
  const char *colon = text[0] == '[' ? strchr(text, ']') : strrchr(text, ':');
  if (!colon) return NULL;
  if (text[0] == '[') {
    if (colon[1] != ':' || (size_t)(colon - text - 1) >= sizeof host) return NULL;
    memcpy(host, text + 1, colon - text - 1);
    host[colon - text - 1] = 0;
    ip->ss_family = AF_INET6;
    return inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ip)->sin6_addr) == 1 ? colon + 2 : NULL;
  }
  if ((size_t)(colon - text) >= sizeof host) return NULL;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  ip->ss_family = AF_INET;
  return inet_pton(AF_INET, host, &((struct sockaddr_in *)ip)->sin_addr) == 1 ? colon + 1 : NULL;
}

/* "127.0.0.1:8080" or "[::1]:8080" into addr; ports below min_port (0 lets the kernel pick) are refused. */
static inline int parse_endpoint(const char *text, struct sockaddr_storage *addr, long min_port) {
  const char *rest = parse_host(text, addr);
  if (!rest) return -1;
  char *end;
  long port = strtol(rest, &end, 10);
  if (!*rest || *end || port < min_port || port > 65535) return -1;
  set_port(addr, (uint16_t)port);
  return 0;
}

/* IP:LO-HI, for example 127.1.0.1:1024-65535 or [fd00:c1::2]:1024-65535. Returns 0 or -1. */
static inline int parse_source(const char *text, struct source *src) {
  const char *rest = parse_host(text, &src->ip);
  if (!rest || sscanf(rest, "%d-%d", &src->lo, &src->hi) != 2) return -1;
  return src->lo < 1 || src->hi > 65535 || src->lo > src->hi ? -1 : 0;
}

/*
 * A listening socket's family option: on "::" both families unless the kernel refuses (IPV6_V6ONLY 0,
 * dual-stack), on any other IPv6 address IPv6 only. Returns the option's value as set, or -1 for IPv4.
 */
static inline int set_v6only(int fd, const struct sockaddr_storage *a) {
  if (a->ss_family != AF_INET6) return -1;
  int want = !IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr), got = want;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &want, sizeof want);
  socklen_t len = sizeof got;
  getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &got, &len);
  return got;
}

#endif
