/*
 * The echo server's accepts: accept4() what waits on the listener, a connection beyond the
 * descriptors taken with a spare one and reset. With io_uring (uring.h) each new connection's
 * EPOLL_CTL_ADD is queued, and one accept loop's worth is submitted in one system call: on this
 * project's guests a system call costs about 1 us (issue 26). Without io_uring (an old kernel,
 * kernel.io_uring_disabled, a seccomp filter) or with --no-batch, an epoll_ctl() each.
 *
 * io_uring's multishot accept was tried too (no accept4() at all): the wake-up a connection it
 * costs made 8,000 loopback connections open in 0.25 s against 0.14 s with accept4() in a loop.
 */
#ifndef C1M_SERVER_ACCEPT_H
#define C1M_SERVER_ACCEPT_H

#include <fcntl.h>
#include <sys/socket.h>

#include "server-app.h"
#include "server.h"
#include "uring.h"

#define LISTEN_TAG -2
#define ACCEPT_BATCH 1024 /* accept4() calls in a row, and so registrations in one submission */
#define CLOSE_TAG (1ull << 40) /* user_data of a batched close (a registration's is its descriptor) */

static int use_tls, listen_fd, spare_fd = -1;
/* --no-batch: an epoll_ctl() a connection, as without io_uring. */
static int no_batch;

/*
 * Out of descriptors: take a connection with the spare one and refuse it with a reset; 0 when none
 * was waiting.
 */
static int refuse_one(void) {
  if (spare_fd < 0) return 0;
  close(spare_fd);
  int victim = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (victim >= 0) {
    close(victim); /* a reset: the listener's SO_LINGER 0 is inherited */
    rejected++;
  }
  spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return victim >= 0;
}

/* Watch a new connection for EPOLLIN: queued in the batch when there is one. 0, or -1 failed. */
static int register_conn(int fd) {
  if (uring_fd >= 0) {
    uring_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, (uint64_t)fd, IOSQE_CQE_SKIP_SUCCESS);
    return 0;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* A connection accepted: its slot, TLS when asked, its registration, the counts. */
static void take_conn(int fd) {
  if (fd >= fd_slots) { close(fd); rejected++; return; }
  /* TLS before the registration: a queued one must never outlive its descriptor. */
  if (use_tls && !(exts[fd].ssl = tls_accept_new(fd))) { close(fd); rejected++; return; }
  if (register_conn(fd) < 0) {
    if (exts[fd].ssl) tls_free(exts[fd].ssl);
    exts[fd].ssl = NULL;
    close(fd);
    rejected++;
    return;
  }
  conns[fd].tls_shaking = (uint8_t)use_tls;
  conns[fd].is_conn = 1;
  if (fd > max_conn_fd) max_conn_fd = fd;
  if (++open_conns > peak_open) peak_open = open_conns;
  accepted++;
}

/*
 * Submit the queued registrations and take back the ones that failed (only failures complete:
 * IOSQE_CQE_SKIP_SUCCESS): each such connection is closed and counted rejected, as when one
 * epoll_ctl() fails.
 */
static void submit_registrations(void) {
  uring_submit();
  struct io_uring_cqe *cqe;
  while ((cqe = uring_peek())) {
    uint64_t tag = cqe->user_data;
    int fd = (int)tag;
    uring_seen();
    if (tag == CLOSE_TAG || !conns[fd].is_conn) continue;
    drop_reset(fd);
    closed_conns--;
    accepted--;
    rejected++;
  }
}

/* The listener is readable: take what waits, then register the lot. */
static void on_accept(void) {
  for (int i = 0; i < ACCEPT_BATCH; i++) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      /* Without a refusal the listening socket stays readable and the loop spins. accept() fails
         with EMFILE before it looks at the queue, so only a connection really taken counts. */
      if ((errno == EMFILE || errno == ENFILE) && refuse_one()) continue;
      break; /* EAGAIN, a connection that died in the queue, or the queue is empty */
    }
    take_conn(fd);
  }
  if (uring_fd >= 0) submit_registrations();
}

/* The ring for the registrations (unless --no-batch, or the kernel refuses), and the listener watched. */
static void start_accepting(void) {
  static const int ops[] = {IORING_OP_EPOLL_CTL, IORING_OP_CLOSE};
  if (!no_batch) uring_start(ops, 2);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = LISTEN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
}

#endif
