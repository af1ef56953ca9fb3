/*
 * Where the load client connects to and from: the --target endpoints taken in turn, the --source
 * slices' (address, port) pairs taken in order, and the TLS options every connection shares.
 */
#ifndef C1M_CLIENT_TARGETS_H
#define C1M_CLIENT_TARGETS_H

#include <netinet/in.h>

#include "endpoint.h"

#define MAX_TARGETS 1024
#define MAX_SOURCES 1024

static struct sockaddr_storage targets[MAX_TARGETS];
static int ntargets, next_target;
static struct source sources[MAX_SOURCES];
static int nsources, src_index, src_port = -1;
/*
 * --no-reuseaddr: bind source ports without SO_REUSEADDR, for a namespace of the probe's own where
 * no earlier socket (a TIME_WAIT of a killed run) holds one: a system call a connection less, as
 * bench/floor.c binds. A port in use is skipped either way.
 */
static int no_reuseaddr;
/* --tls and its options. */
static int use_tls, tls_insecure;
static const char *tls_ca, *tls_name, *tls_alpn;

/* The next explicit (address, port) pair; -1 when every slice is used up. */
static int next_source(struct sockaddr_storage *addr) {
  while (src_index < nsources) {
    struct source *s = &sources[src_index];
    if (src_port < 0) src_port = s->lo;
    if (src_port <= s->hi) {
      *addr = s->ip;
      set_port(addr, (uint16_t)src_port++);
      return 0;
    }
    src_index++;
    src_port = -1;
  }
  return -1;
}

static int sources_left(void) { return nsources == 0 || src_index < nsources; }

#endif
