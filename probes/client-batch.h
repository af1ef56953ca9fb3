/*
 * The load client's connections in batches (--batch, uring.h): on this project's guests a system
 * call costs about 1 us, and a connection took six (socket, bind, connect, the getpeername that sees
 * a loopback handshake done, epoll_ctl), issue 26. Here each connection is a socket request, then,
 * once its descriptor is known, a chain of bind -> connect -> EPOLL_CTL_ADD linked in the ring; 64
 * connections' requests go to the kernel in one io_uring_enter().
 *
 * Every chain ends in exactly one completion: the registration's (0 when the connection is up and
 * watched), or the first link's that failed. Bind and connect complete only when they fail
 * (IOSQE_CQE_SKIP_SUCCESS), and a failed link with that flag also silences the cancelled links
 * after it, so the kernel is done with every request about a descriptor when it is closed. Each
 * completion carries its chain's slot and the slot's generation: one that is not the slot's current
 * chain is ignored.
 *
 * Only with --batch (the probe's own namespace, against its own servers): a connection's clock
 * starts when its chain is submitted, so the connects ahead of it in the batch are in its time to
 * open, which would blur a real server's. It needs IORING_OP_BIND (Linux 6.11); without it, or
 * without io_uring, the calls are made one by one (client-loop.h).
 */
#ifndef C1M_CLIENT_BATCH_H
#define C1M_CLIENT_BATCH_H

#include <arpa/inet.h>
#include <sys/socket.h>

#include "client-targets.h"
#include "client.h"
#include "uring.h"

#define URING_TAG -3
#define BATCH_CONNECTS 64 /* connections a submission: the last waits for the others (its clock runs) */
/* IORING_OP_BIND (Linux 6.11) is newer than the headers of Debian 12: the kernel's enum, SOCKET + 11. */
#define OP_BIND 56
_Static_assert(IORING_OP_SOCKET == 45, "io_uring's opcodes are numbered as OP_BIND assumes");
/* user_data: what a completion is for (the top bits), its slot's generation and its slot (or target). */
#define TAG_SOCKET (1ull << 40)
#define TAG_BIND (2ull << 40)
#define TAG_CONNECT (3ull << 40)
#define TAG_WATCH (4ull << 40)
#define TAG_CANCEL (5ull << 40)
#define TAG_CLOSE (6ull << 40) /* a close of close_all (echo-client.c) */
#define TAG_MASK (0xffull << 40)
#define SLOT_BITS 20
/* Chains in flight at once: at most --inflight (65,535), and a batch besides. */
#define MAX_CHAINS (65536 + BATCH_CONNECTS)

static int use_batch;
/* A chain in flight: its descriptor (-1 once done) and its generation (in its user_data). */
struct chain { int fd; uint32_t gen; };
static struct chain chains[MAX_CHAINS];
static int free_chains[MAX_CHAINS], nfree_chains, chains_used; /* slots freed, and ever used: memory touched as needed */
/* Chains queued since the last submit (their clocks start there), and the source each binds (read at the submit). */
static int queued[BATCH_CONNECTS], nqueued;
static struct sockaddr_storage queued_local[BATCH_CONNECTS];
static long sockets_asked, chains_open;     /* socket requests, chains, not completed yet */
static int batch_stop;                      /* no more connects: no descriptor, source or port left */

static void connected(int fd);

/* The ring, when --batch asks and the kernel has every request a connection uses. */
static void start_batch(void) {
  static const int ops[] = {IORING_OP_SOCKET, OP_BIND, IORING_OP_CONNECT, IORING_OP_EPOLL_CTL, IORING_OP_ASYNC_CANCEL, IORING_OP_CLOSE};
  if (!use_batch || uring_start(ops, 6) < 0) return;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = URING_TAG};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, uring_fd, &ev) < 0) { close(uring_fd); uring_fd = -1; return; }
}

/* Give up on a socket made: no chain for it, and no more connects. */
static void socket_unused(int fd, int slot) {
  if (slot >= 0) free_chains[nfree_chains++] = slot;
  if (fd >= 0) close(fd);
  inflight--;
  batch_stop = 1;
}

/* A socket was made (or not): bind it to the next source and chain its connect and registration. */
static void socket_made(int fd, int target) {
  sockets_asked--;
  if (fd < 0 || fd >= fd_slots || (!nfree_chains && chains_used == MAX_CHAINS)) {
    note_error("socket", fd < 0 ? -fd : EMFILE);
    socket_unused(fd, -1);
    return;
  }
  int slot = nfree_chains ? free_chains[--nfree_chains] : chains_used++;
  struct chain *ch = &chains[slot];
  const struct sockaddr_storage *to = &targets[target];
  struct sockaddr_storage *local = &queued_local[nqueued];
  if (nsources && next_source(local) < 0) { socket_unused(fd, slot); return; } /* every source pair used */
  attempts++;
  if (use_tls) {
    char ip[INET6_ADDRSTRLEN];
    addr_text(to, ip, sizeof ip);
    if (!(exts[fd].ssl = tls_new(fd, tls_name, ip))) { note_error("tls", ENOMEM); socket_unused(fd, slot); return; }
  }
  ch->fd = fd;
  ch->gen = (ch->gen + 1) & ((1u << SLOT_BITS) - 1);
  uint64_t id = ((uint64_t)ch->gen << SLOT_BITS) | (uint32_t)slot;
  conns[fd].state = CONNECTING;
  if (nsources) {
    struct io_uring_sqe *bind = uring_op(OP_BIND, fd, TAG_BIND | id, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    bind->addr = (uint64_t)(uintptr_t)local;
    bind->off = addr_len(local);
  }
  struct io_uring_sqe *connect = uring_op(IORING_OP_CONNECT, fd, TAG_CONNECT | id, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
  connect->addr = (uint64_t)(uintptr_t)to;
  connect->off = addr_len(to);
  uring_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, TAG_WATCH | id, 0);
  queued[nqueued++] = fd;
}

/* A chain's one completion: the connection is up, or `op` failed with -res. */
static void chain_done(uint64_t id, int res, const char *op) {
  int slot = (int)(id & ((1u << SLOT_BITS) - 1));
  if (slot >= MAX_CHAINS) return;
  struct chain *ch = &chains[slot];
  if (ch->fd < 0 || ch->gen != (uint32_t)(id >> SLOT_BITS)) return; /* not its chain now */
  int fd = ch->fd;
  ch->fd = -1;
  free_chains[nfree_chains++] = slot;
  chains_open--;
  if (res == 0) { connected(fd); return; }
  drop(fd, 0);
  if (op[0] == 'b' && res == -EADDRINUSE) { addr_in_use++; return; } /* someone holds the port: another socket takes the next */
  note_error(op, -res);
  failed++;
  if (res == -EADDRNOTAVAIL) batch_stop = 1;
}

/* The completions waiting. Returns how many there were. */
static int reap_batch(void) {
  int n = 0;
  struct io_uring_cqe *cqe;
  while ((cqe = uring_peek())) {
    uint64_t tag = cqe->user_data & TAG_MASK, id = cqe->user_data & ~TAG_MASK;
    int res = cqe->res;
    uring_seen();
    n++;
    if (tag == TAG_SOCKET) socket_made(res, (int)id);
    else if (tag == TAG_BIND) chain_done(id, res, "bind");
    else if (tag == TAG_CONNECT) chain_done(id, res, "connect");
    else if (tag == TAG_WATCH) chain_done(id, res, "epoll_ctl");
  }
  return n;
}

/* Submit what is queued (the chains' clocks start now) until a round makes no new chain. */
static int submit_batch(void) {
  int reaped = 0;
  do {
    if (nqueued) { /* poll_once comes here every turn: the clock only when a chain waits */
      uint32_t at = clock_us();
      for (int i = 0; i < nqueued; i++) conns[queued[i]].started_us = at;
    }
    chains_open += nqueued;
    nqueued = 0;
    uring_flush(); /* every entry taken: the kernel has copied the addresses queued_local holds */
    reaped += reap_batch();
  } while (nqueued);
  return reaped;
}

/* Start one connection: ask for its socket. 0 on a start, -1 to stop (as start_connect). */
static int batch_connect(void) {
  if (sockets_asked + nqueued >= BATCH_CONNECTS) submit_batch();
  if (batch_stop) return -1;
  int target = next_target++ % ntargets;
  uring_op(IORING_OP_SOCKET, targets[target].ss_family, TAG_SOCKET | (uint32_t)target, 0)->off = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
  sockets_asked++;
  inflight++;
  return 0;
}

/* At the open timeout: cancel every request still under way and wait (5 s at most) for their ends. */
static void cancel_batch(void) {
  submit_batch();
  if (chains_open <= 0 && sockets_asked <= 0) return;
  struct io_uring_sqe *sqe = uring_op(IORING_OP_ASYNC_CANCEL, -1, TAG_CANCEL, 0);
  sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
  uring_flush();
  for (double until = now() + 5; (chains_open > 0 || sockets_asked > 0) && now() < until;) {
    if (!reap_batch()) usleep(1000);
  }
}

#endif
