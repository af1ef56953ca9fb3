/*
 * The echo server's connections: one struct conn per descriptor, what is written back or queued
 * while the peer does not read, and the close that clears a slot.
 */
#ifndef C1M_SERVER_H
#define C1M_SERVER_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tls.h"

/* Bytes a connection could not write back yet (rare: only when the peer stops reading). */
struct pending { size_t len; size_t off; char data[]; };
/* Bytes of an HTTP head or a WebSocket frame not yet whole. */
struct wsin { size_t len; unsigned char data[]; };

/* One descriptor's connection: 2 bytes that every connection writes. */
struct conn {
  uint8_t is_conn : 1;     /* the descriptor is an accepted connection */
  uint8_t upgraded : 1;    /* the HTTP opening is answered */
  uint8_t tls_shaking : 1; /* its TLS handshake runs */
  uint8_t waiting : 1;     /* --app: the dialect waits for the client's answer (socketio: a pong) */
  uint8_t due;             /* --app: the sweep's tick, mod 256, when the dialect's next step is due */
};
/* What only some connections use, beside it: its memory is touched only when used. */
struct conn_ext {
  tls_conn *ssl; /* with --tls */
  struct pending *pending;
  struct wsin *in;
};
/* Both indexed by descriptor, allocated once for every descriptor the process may hold. */
static struct conn *conns;
static struct conn_ext *exts;
static long fd_slots;

/* What an accepted connection speaks: read its bytes and answer them. */
struct protocol {
  const char *name; /* --protocol's value */
  void (*on_readable)(int fd);
};
static const struct protocol *proto;

/* peak_open: the most connections open at once since the start (every accept checks it). */
static long open_conns, peak_open, accepted, closed_conns, rejected;
static unsigned long long echoed_bytes;
static int epfd;

static ssize_t conn_read(int fd, void *buf, size_t n) { return io_read(exts[fd].ssl, fd, buf, n); }
static ssize_t conn_write(int fd, const void *buf, size_t n) { return io_write(exts[fd].ssl, fd, buf, n); }

/* Decrypted bytes TLS holds that epoll cannot see: the reader must go on. */
static int more_in_tls(int fd) { return exts[fd].ssl && tls_pending(exts[fd].ssl) > 0; }

static void watch(int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* Clear a connection's slot and count it closed; its descriptor is the caller's to close. */
static void forget_conn(int fd) {
  struct conn_ext *e = &exts[fd];
  if (e->ssl || e->pending || e->in) { /* read, not written: an unused page stays untouched */
    if (e->ssl) tls_free(e->ssl);
    free(e->pending);
    free(e->in);
    memset(e, 0, sizeof *e);
  }
  memset(&conns[fd], 0, sizeof conns[fd]);
  open_conns--;
  closed_conns++;
}

/*
 * Close a connection with a reset and clear its slot: accepted sockets inherit the listener's
 * SO_LINGER 0, so this costs no setsockopt (the close of a million connections makes none).
 */
static void drop_reset(int fd) {
  forget_conn(fd);
  close(fd); /* closing the fd also removes it from the epoll set */
}

/* Close a connection with a FIN (what a peer that asked for the close, or HTTP/1.0, expects). */
static void drop(int fd) {
  fin_on_close(fd);
  drop_reset(fd);
}

/* Write what is queued for fd; returns 0 when all is written, 1 when some is left, -1 on error. */
static int flush_pending(int fd) {
  struct pending *p = exts[fd].pending;
  while (p && p->off < p->len) {
    ssize_t n = conn_write(fd, p->data + p->off, p->len - p->off);
    if (n < 0) return errno == EAGAIN ? 1 : -1;
    p->off += (size_t)n;
  }
  free(p);
  exts[fd].pending = NULL;
  watch(fd, EPOLLIN | EPOLLRDHUP);
  return 0;
}

/* Write all of it, or queue the rest and wait for EPOLLOUT. Returns -1 when the connection failed. */
static int send_or_queue(int fd, const void *data, size_t n) {
  struct pending *old = exts[fd].pending;
  ssize_t w = old ? 0 : conn_write(fd, data, n);
  if (w < 0 && errno != EAGAIN) return -1;
  if (w < 0) w = 0;
  if ((size_t)w == n) return 0;
  size_t left = old ? old->len - old->off : 0;
  struct pending *p = malloc(sizeof *p + left + n - (size_t)w);
  if (!p) return -1;
  if (old) memcpy(p->data, old->data + old->off, left);
  memcpy(p->data + left, (const char *)data + w, n - (size_t)w);
  p->len = left + n - (size_t)w;
  p->off = 0;
  free(old);
  exts[fd].pending = p;
  watch(fd, EPOLLOUT | EPOLLRDHUP);
  return 0;
}

#endif
