/*
 * The load client's connections on one epoll loop: non-blocking connect() from the next source
 * port to the next target, TLS first when asked (tls.h), then the protocol's opening, then its
 * bytes; a close by the server is a refusal. The MQTT keepalive runs from here too.
 */
#ifndef C1M_CLIENT_LOOP_H
#define C1M_CLIENT_LOOP_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "client-app.h"
#include "client-batch.h"
#include "client-reply.h"
#include "client.h"
#include "client-targets.h"
#include "endpoint.h"

#define STDIN_TAG -1
static void quit(void);

static void watch(int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* TCP (and TLS) is up: the protocol's opening, or the connection counts now. */
static void start_protocol(int fd) {
  if (proto->open) proto->open(fd);
  else transport_open(fd);
}

/* One step of a connection's TLS handshake; once done, the protocol's opening, or it counts. */
static void on_tls(int fd) {
  int want_write = 0;
  char why[160];
  int rc = tls_step(exts[fd].ssl, &want_write, why, sizeof why);
  if (rc == 0) { watch(fd, want_write ? EPOLLOUT : EPOLLIN | EPOLLRDHUP); return; }
  if (rc < 0) {
    snprintf(last_error, sizeof last_error, "tls handshake: %s", why);
    drop(fd, 1);
    failed++;
    return;
  }
  if (!tls_info[0]) tls_describe(exts[fd].ssl, tls_info, sizeof tls_info);
  watch(fd, EPOLLIN | EPOLLRDHUP);
  start_protocol(fd);
}

/* TCP is connected: TLS first when asked, then the protocol. */
static void connected(int fd) {
  if (exts[fd].ssl) { conns[fd].state = TLS_HANDSHAKE; on_tls(fd); return; }
  start_protocol(fd);
}

/* Start one connect; returns 0 on a start, 1 when this attempt failed but more may work, -1 to stop. */
static int start_connect(void) {
  if (uring_fd >= 0) return batch_connect();
  struct sockaddr_storage *to = &targets[next_target % ntargets];
  int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { note_error("socket", errno); return -1; }
  if (fd >= fd_slots) { close(fd); note_error("socket", EMFILE); return -1; }
  attempts++;
  if (nsources) {
    int one = 1;
    if (!no_reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage local;
    for (;;) {
      if (next_source(&local) < 0) { close(fd); return -1; }
      if (bind(fd, (struct sockaddr *)&local, addr_len(&local)) == 0) break;
      if (errno != EADDRINUSE) { note_error("bind", errno); close(fd); failed++; return errno == EADDRNOTAVAIL ? -1 : 1; }
      addr_in_use++; /* someone else holds this port on the address: take the next */
    }
  }
  struct conn *c = &conns[fd];
  next_target++;
  if (use_tls) {
    char ip[INET6_ADDRSTRLEN];
    addr_text(to, ip, sizeof ip);
    if (!(exts[fd].ssl = tls_new(fd, tls_name, ip))) { note_error("tls", ENOMEM); close(fd); return -1; }
  }
  c->started_us = clock_us();
  int rc = connect(fd, (struct sockaddr *)to, addr_len(to));
  /*
   * Over loopback (and a veth) the handshake completes before connect() returns EINPROGRESS: the
   * SYN-ACK waits in the socket's backlog until connect() releases it. One getpeername() sees that
   * and saves the EPOLLOUT event and the EPOLL_CTL_MOD after it, two costs a connection of the
   * ramp (issue 26). Not connected yet (a remote target, a refusal): the EPOLLOUT path, as before.
   */
  if (rc < 0 && errno == EINPROGRESS) {
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) == 0) rc = 0;
    else errno = EINPROGRESS;
  }
  struct epoll_event ev = {.events = rc == 0 ? EPOLLIN | EPOLLRDHUP : EPOLLOUT, .data.fd = fd};
  if ((rc < 0 && errno != EINPROGRESS) || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    note_error(rc < 0 ? "connect" : "epoll_ctl", err);
    drop(fd, 0);
    failed++;
    return err == EADDRNOTAVAIL ? -1 : 1;
  }
  inflight++;
  c->state = CONNECTING;
  if (rc == 0) connected(fd);
  return 0;
}

/* Bytes of the answer to the opening; a close before the opening is over refuses it. */
static void on_opening_bytes(int fd) {
  struct opening *op = exts[fd].side;
  ssize_t n = conn_read(fd, op->buf + op->len, (size_t)(HS_MAX - op->len));
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    peer_closed++;
    refuse_opening(fd, op->len ? "the server closed the connection after answering" : "the server closed the connection before answering");
    return;
  }
  bytes_received += (unsigned long long)n;
  op->len += (int)n;
  op->buf[op->len] = 0;
  proto->on_opening(fd, op);
}

static int tls_holds_bytes(int fd) { return exts[fd].ssl && tls_pending(exts[fd].ssl) > 0; }

static void on_event(int fd, uint32_t events) {
  struct conn *c = &conns[fd];
  if (c->state == CONNECTING) {
    /* A failed connect always reports EPOLLERR: only then is SO_ERROR read (a syscall a connection saved). */
    int err = 0;
    socklen_t len = sizeof err;
    if (events & (EPOLLERR | EPOLLHUP)) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      note_error("connect", err ? err : ECONNRESET);
      drop(fd, 0);
      failed++;
      return;
    }
    watch(fd, EPOLLIN | EPOLLRDHUP);
    connected(fd);
    return;
  }
  if (c->state == TLS_HANDSHAKE) { on_tls(fd); return; }
  if (c->state == HANDSHAKE) {
    on_opening_bytes(fd);
    /* TLS may hold decrypted bytes of the record just read, which epoll cannot see. */
    while (c->state == HANDSHAKE && tls_holds_bytes(fd)) on_opening_bytes(fd);
    if (!((c->state == OPEN || c->state == SESSION) && tls_holds_bytes(fd))) return;
  }
  if (c->state != OPEN && c->state != SESSION) return;
  char buf[READ_MAX];
  for (;;) {
    ssize_t n = conn_read(fd, buf, sizeof buf);
    if (n > 0) {
      if (proto->raw) bytes_received += (unsigned long long)n;
      if (proto->on_bytes(fd, buf, n) < 0) return;
      /* Drained: level-triggered epoll reports anything later, saving a read() that says EAGAIN. */
      if ((size_t)n < sizeof buf) return;
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    /* The server closed (or reset) a connection it had accepted: it refused it. */
    if (c->state == SESSION) app_closed(fd, NULL, 0);
    peer_closed++;
    if (proto->eof_code) close_codes[proto->eof_code]++;
    refused++;
    if (awaiting_echo(fd)) echo_closed++; /* closed before its echo (a wrong answer is counted already) */
    drop(fd, 0);
    return;
  }
}

/* The keepalive (MQTT's PINGREQ) on every open connection each keepalive_every seconds. */
static void keepalive_tick(void) {
  if (!proto->keepalive || keepalive_every <= 0 || now() < next_keepalive) return;
  for (long fd = 0; fd < fd_slots; fd++) {
    if (conns[fd].state == OPEN) proto->keepalive((int)fd);
  }
  next_keepalive = now() + keepalive_every;
}

/* Milliseconds until `at`, or timeout_ms when that comes first (-1: no timeout). */
static int sooner(int timeout_ms, double at) {
  int until = (int)((at - now()) * 1000) + 1;
  if (until < 0) until = 0;
  return timeout_ms < 0 || until < timeout_ms ? until : timeout_ms;
}

static void poll_once(int timeout_ms) {
  static struct epoll_event events[4096];
  keepalive_tick();
  app_heartbeat_tick();
  if (proto->keepalive && keepalive_every > 0) timeout_ms = sooner(timeout_ms, next_keepalive);
  if (app_heartbeat_every > 0) timeout_ms = sooner(timeout_ms, app_next_heartbeat);
  if (uring_fd >= 0 && submit_batch() > 0) timeout_ms = 0; /* the open loop may start more now */
  int n = epoll_wait(epfd, events, 4096, timeout_ms);
  if (stop_requested) quit();
  for (int i = 0; i < n; i++) {
    if (events[i].data.fd == STDIN_TAG) continue; /* read by the command loop */
    if (events[i].data.fd == URING_TAG) { reap_batch(); continue; }
    on_event(events[i].data.fd, events[i].events);
  }
}

#endif
