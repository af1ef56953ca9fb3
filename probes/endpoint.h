/* IPv4 endpoints on the command line: "IP:PORT" to listen on or connect to, "IP:LO-HI" to bind from. */
#ifndef C1M_ENDPOINT_H
#define C1M_ENDPOINT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source { struct in_addr ip; int lo, hi; };

/* The address before the last colon into ip; returns what follows the colon, or NULL. */
static inline const char *parse_host(const char *text, struct in_addr *ip) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host) return NULL;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  return inet_pton(AF_INET, host, ip) == 1 ? colon + 1 : NULL;
}

/* "127.0.0.1:8080" into addr; ports below min_port (0 lets the kernel pick) are refused. Returns 0 or -1. */
static inline int parse_endpoint(const char *text, struct sockaddr_in *addr, long min_port) {
  memset(addr, 0, sizeof *addr);
  const char *rest = parse_host(text, &addr->sin_addr);
  if (!rest) return -1;
  char *end;
  long port = strtol(rest, &end, 10);
  if (*end || port < min_port || port > 65535) return -1;
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)port);
  return 0;
}

/* IP:LO-HI, for example 127.1.0.1:1024-65535. Returns 0 or -1. */
static inline int parse_source(const char *text, struct source *src) {
  const char *rest = parse_host(text, &src->ip);
  if (!rest || sscanf(rest, "%d-%d", &src->lo, &src->hi) != 2) return -1;
  return src->lo < 1 || src->hi > 65535 || src->lo > src->hi ? -1 : 0;
}

#endif
