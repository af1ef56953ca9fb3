/*
 * A batch of system calls in one io_uring_enter(): on this project's guests a system call costs about
 * 1 us to enter and leave (issue 26), and the ramp makes several a connection. The engines queue
 * their epoll registrations (and the client its connects) here and submit them together before they
 * wait. No liburing: the three rings are mapped by hand. Where io_uring is missing or refused (an old
 * kernel, kernel.io_uring_disabled, a seccomp filter), uring_start() says so and the engine makes the
 * calls one by one as before.
 */
#ifndef C1M_URING_H
#define C1M_URING_H

#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define URING_ENTRIES 1024

static int uring_fd = -1;
static unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;
static unsigned sq_queued; /* entries written since the last submit */
/* The epoll_event an EPOLL_CTL entry points at: the kernel copies it when it takes the entry. */
static struct epoll_event uring_events[URING_ENTRIES];

static int uring_enter(unsigned submit, unsigned wait, unsigned flags) {
  return (int)syscall(__NR_io_uring_enter, uring_fd, submit, wait, flags, NULL, 0);
}

/* 1 when every op in `ops` is supported by this kernel. */
static int uring_supports(const int *ops, int nops) {
  size_t size = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
  struct io_uring_probe *probe = calloc(1, size);
  if (!probe) return 0;
  int ok = syscall(__NR_io_uring_register, uring_fd, IORING_REGISTER_PROBE, probe, 256) == 0;
  for (int i = 0; ok && i < nops; i++) {
    ok = ops[i] <= probe->last_op && (probe->ops[ops[i]].flags & IO_URING_OP_SUPPORTED);
  }
  free(probe);
  return ok;
}

/* Set the ring up; 0 when it is up and supports `ops`, -1 (errno set) to make the calls one by one. */
static int uring_start(const int *ops, int nops) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = (int)syscall(__NR_io_uring_setup, URING_ENTRIES, &p);
  if (fd < 0) return -1;
  uring_fd = fd;
  unsigned needed = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_CQE_SKIP;
  if ((p.features & needed) != needed || !uring_supports(ops, nops)) {
    close(fd);
    uring_fd = -1;
    errno = EOPNOTSUPP;
    return -1;
  }
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t ring_size = sq_size > cq_size ? sq_size : cq_size;
  char *ring = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (ring == MAP_FAILED || sqes == MAP_FAILED) {
    if (ring != MAP_FAILED) munmap(ring, ring_size);
    if (sqes != MAP_FAILED) munmap(sqes, p.sq_entries * sizeof(struct io_uring_sqe));
    close(fd);
    uring_fd = -1;
    return -1;
  }
  sq_head = (unsigned *)(ring + p.sq_off.head);
  sq_tail = (unsigned *)(ring + p.sq_off.tail);
  sq_mask = (unsigned *)(ring + p.sq_off.ring_mask);
  sq_array = (unsigned *)(ring + p.sq_off.array);
  cq_head = (unsigned *)(ring + p.cq_off.head);
  cq_tail = (unsigned *)(ring + p.cq_off.tail);
  cq_mask = (unsigned *)(ring + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
  return 0;
}

/* Hand every queued entry to the kernel: one system call for the batch. */
static void uring_submit(void) {
  while (sq_queued) {
    int n = uring_enter(sq_queued, 0, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; /* EBUSY (completions backed up): the next submit after a reap takes them */
    sq_queued -= (unsigned)n;
  }
}

/* Submit until the kernel took every entry: one that takes none for 1 s (out of memory) ends the engine. */
static void uring_flush(void) {
  for (int tries = 0; sq_queued; tries++) {
    uring_submit();
    if (!sq_queued) return;
    if (tries == 1000) {
      fprintf(stderr, "io_uring: the kernel took no entry for 1 s: %s\n", strerror(errno));
      exit(1);
    }
    usleep(1000);
  }
}

/*
 * A fresh entry at the tail of the submission ring (a full ring is submitted first, never written
 * over), for `opcode` on `fd`; its completion carries user_data. The caller fills the op's fields.
 */
static struct io_uring_sqe *uring_op(uint8_t opcode, int fd, uint64_t user_data, uint8_t flags) {
  if (sq_queued >= URING_ENTRIES) uring_flush();
  unsigned tail = *sq_tail;
  unsigned i = tail & *sq_mask;
  struct io_uring_sqe *sqe = &sqes[i];
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = opcode;
  sqe->fd = fd;
  sqe->user_data = user_data;
  sqe->flags = flags;
  sq_array[i] = i;
  __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
  sq_queued++;
  return sqe;
}

/* Queue epoll_ctl(epfd, op, fd, {events, fd}); a failure comes back as a completion with user_data. */
static void uring_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t user_data, uint8_t flags) {
  struct io_uring_sqe *sqe = uring_op(IORING_OP_EPOLL_CTL, epfd, user_data, flags);
  struct epoll_event *ev = &uring_events[sqe - sqes]; /* the entry's own: copied when the kernel takes it */
  ev->events = events;
  ev->data.fd = fd;
  sqe->off = (uint64_t)fd;
  sqe->len = (uint32_t)op;
  sqe->addr = (uint64_t)(uintptr_t)ev;
}

/* Queue close(fd): with IOSQE_CQE_SKIP_SUCCESS only a failure completes, with user_data. */
static void uring_close(int fd, uint64_t user_data) { uring_op(IORING_OP_CLOSE, fd, user_data, IOSQE_CQE_SKIP_SUCCESS); }

/* The next completion, or NULL when none is waiting; uring_seen() releases it. */
static struct io_uring_cqe *uring_peek(void) {
  unsigned head = *cq_head;
  if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) return NULL;
  return &cqes[head & *cq_mask];
}

static void uring_seen(void) { __atomic_store_n(cq_head, *cq_head + 1, __ATOMIC_RELEASE); }

/* Submit everything queued and let go of what completed (closes at the end: a failed one needs nothing). */
static void uring_drain(void) {
  uring_flush();
  while (uring_peek()) uring_seen();
}

#endif
