/* Shared by echo-server.c and echo-client.c: parsing an IPv4 "host:port" endpoint. */
#ifndef C1M_ECHO_COMMON_H
#define C1M_ECHO_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

/* "127.0.0.1:8080" into addr; ports below min_port (0 lets the kernel pick) are refused. Returns 0 or -1. */
static int parse_endpoint(const char *text, struct sockaddr_in *addr, long min_port) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < min_port || port > 65535) return -1;
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &addr->sin_addr) == 1 ? 0 : -1;
}

/*
 * Process set-up both programs share: SIGTERM goes to on_term, the program ends with its
 * parent, a closed peer is an error return instead of SIGPIPE, and the soft open-file
 * limit is raised to the hard one. Returns how many descriptors the process may hold
 * (capped at 16M), the size of its per-fd tables.
 */
static long setup_process(void (*on_term)(int)) {
  struct sigaction sa = {.sa_handler = on_term};
  sigaction(SIGTERM, &sa, NULL);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 16777216 ? 16777216 : (long)rl.rlim_cur;
}

#endif
