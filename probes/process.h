/*
 * The process both programs run as: its set-up (SIGTERM, the parent's death, SIGPIPE, the
 * open-file limit), the clock, the reset that closes a socket without TIME_WAIT, and the reader of
 * the one-line commands the parent writes on stdin.
 */
#ifndef C1M_PROCESS_H
#define C1M_PROCESS_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Set by SIGTERM (also sent when the parent dies): the program ends as at EOF on stdin. */
static volatile sig_atomic_t stop_requested;

static inline void on_sigterm(int sig) {
  (void)sig;
  stop_requested = 1;
}

/*
 * SIGTERM sets stop_requested, the program ends with its parent, a closed peer is an error return
 * instead of SIGPIPE, and the soft open-file limit is raised to the hard one. Returns how many
 * descriptors the process may hold (capped at 16M), the size of its per-descriptor table.
 */
static inline long setup_process(void) {
  struct sigaction sa = {.sa_handler = on_sigterm};
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

static inline double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The next close() of fd resets the connection: no FIN, no TIME_WAIT left behind. Set on a
 * listening socket, every socket it accepts inherits it.
 */
static inline void reset_on_close(int fd) {
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* The next close() of fd ends the connection with a FIN again, after reset_on_close. */
static inline void fin_on_close(int fd) {
  struct linger lg = {.l_onoff = 0, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* After `detach` (no epoll set): what both engines answer to anything but count, close and quit. */
static inline void reply_detached(void) {
  printf("{\"event\":\"error\",\"message\":\"detached: only count, close and quit\"}\n");
  fflush(stdout);
}

/* After `detach`: wait for stdin alone (a signal ends the wait too). */
static inline void wait_for_stdin(void) {
  struct pollfd in = {.fd = 0, .events = POLLIN};
  poll(&in, 1, -1);
}

static inline void reply_unknown_command(void) {
  printf("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
  fflush(stdout);
}

/*
 * Read what stdin (non-blocking) holds and pass each whole line to run, which returns 0 to stop.
 * Returns 1 when lines were read, 0 when stdin has nothing now, -1 at EOF, on an error, or when
 * a command said to stop. A line too long to be a command is dropped.
 */
static inline int read_commands(int (*run)(const char *line)) {
  static char line[256];
  static size_t used;
  ssize_t n = read(0, line + used, sizeof line - 1 - used);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n <= 0) return -1;
  used += (size_t)n;
  line[used] = 0;
  char *start = line, *nl;
  while ((nl = strchr(start, '\n'))) {
    *nl = 0;
    if (!run(start)) return -1;
    start = nl + 1;
  }
  used = strlen(start);
  memmove(line, start, used);
  if (used >= sizeof line - 1) used = 0;
  return 1;
}

#endif
