/*
 * --app socketio: Socket.IO 5 over Engine.IO 4, WebSocket only (GET /socket.io/?EIO=4&transport=websocket;
 * any other target is answered 404, and no HTTP long-polling is served, so the open packet offers no
 * upgrades). The upgrade is answered with the open packet 0{"sid":...,"pingInterval":...}; a namespace
 * connect 40 or 40/ns, (with or without an auth payload, which is not looked at: every namespace is
 * served) is answered 40{"sid":...} or 40/ns,{"sid":...}. The server pings (2) --ping-interval after
 * the open and after each pong (3), and closes a connection whose pong did not come within
 * --ping-timeout. An event 42[...] (on any namespace) comes back as the same event to its sender
 * only; an event that asks for an acknowledgement (42<id>[...]) is acknowledged (43<id>[...]) with
 * the event's arguments instead. Binary events and their attachments are read and dropped; an
 * Engine.IO close (1) ends the connection, as does a packet that is none of these.
 *
 * State per connection: struct conn's due tick and waiting bit (a ping is out). Ids are made when sent.
 */
#ifndef C1M_SERVER_SOCKETIO_H
#define C1M_SERVER_SOCKETIO_H

#include "json-span.h"
#include "server-app.h"

static int socketio_serves(const char *target) {
  return strncmp(target, "/socket.io/?", 12) == 0 && query_has(target, "EIO=4") && query_has(target, "transport=websocket");
}

static int socketio_open(int fd) {
  char sid[12], open[256];
  app_new_id(sid);
  int n = snprintf(open, sizeof open, "0{\"sid\":\"%s\",\"upgrades\":[],\"pingInterval\":%ld,\"pingTimeout\":%ld,\"maxPayload\":1000000}",
                   sid, ping_interval_ms, ping_timeout_ms);
  conns[fd].waiting = 0;
  due_in(fd, ping_interval_ms);
  return app_send(fd, open, (size_t)n);
}

/* A ping is due (send it), or the pong did not come in time (close). */
static int socketio_due(int fd) {
  if (conns[fd].waiting) {
    app_timeouts++;
    app_send_close(fd, 1000);
    return -1;
  }
  conns[fd].waiting = 1;
  due_in(fd, ping_timeout_ms);
  return app_send(fd, "2", 1);
}

/* The namespace of a Socket.IO packet after its type (at msg + 2): its length with the comma, 0 for "/". */
static size_t socketio_namespace(const char *msg, size_t len) {
  if (len < 3 || msg[2] != '/') return 0;
  const char *comma = memchr(msg + 2, ',', len - 2);
  return comma ? (size_t)(comma - msg) - 1 : len - 2;
}

/* 40[/ns,][auth]: answered with the namespace and a new socket id. */
static int socketio_connect(int fd, const char *msg, size_t len) {
  size_t ns = socketio_namespace(msg, len);
  size_t rest = json_skip_space(msg, len, 2 + ns);
  if (rest < len && (msg[rest] != '{' || json_value_end(msg, len, rest) != len)) return -1;
  if (ns > 256) return -1;
  char sid[12], reply[300];
  app_new_id(sid);
  int n = snprintf(reply, sizeof reply, "40%.*s%s{\"sid\":\"%s\"}", (int)ns, msg + 2, ns && msg[1 + ns] != ',' ? "," : "", sid);
  app_sessions++;
  return app_send(fd, reply, (size_t)n);
}

/* 42[/ns,][id][name,args...]: the same event back, or with an id its acknowledgement 43[/ns,]id[args...]. */
static int socketio_event(int fd, const char *msg, size_t len) {
  size_t at = 2 + socketio_namespace(msg, len);
  size_t id = at;
  while (at < len && msg[at] >= '0' && msg[at] <= '9') at++;
  if (at >= len || msg[at] != '[' || json_value_end(msg, len, at) != len) return -1;
  size_t name = json_skip_space(msg, len, at + 1);
  size_t after = name < len && msg[name] == '"' ? json_string_end(msg, len, name) : 0;
  if (!after) return -1; /* an event has a name */
  after = json_skip_space(msg, len, after);
  app_events++;
  echoed_bytes += len;
  if (at == id) return app_send(fd, msg, len);
  /* The acknowledgement's arguments: the array without its first element. */
  size_t args = msg[after] == ',' ? after + 1 : after;
  size_t n = at + 1 + (len - args);
  char small[512];
  char *out = n <= sizeof small ? small : malloc(n);
  if (!out) return -1;
  memcpy(out, msg, at);
  out[1] = '3';
  out[at] = '[';
  memcpy(out + at + 1, msg + args, len - args);
  int rc = app_send(fd, out, n);
  if (out != small) free(out);
  return rc;
}

static int socketio_text(int fd, const char *msg, size_t len) {
  if (len == 0) return -1;
  switch (msg[0]) {
    case '3': /* pong: the next ping after the interval */
      if (conns[fd].waiting) app_heartbeats++;
      conns[fd].waiting = 0;
      due_in(fd, ping_interval_ms);
      return 0;
    case '2': return app_send(fd, "3", 1); /* a client's ping (Engine.IO 3's way): answered */
    case '6': return 0;                     /* noop */
    case '4': break;
    default: return -1; /* 1 close, or no Engine.IO packet */
  }
  if (len < 2) return -1;
  switch (msg[1]) {
    case '0': return socketio_connect(fd, msg, len);
    case '2': return socketio_event(fd, msg, len);
    case '1': case '3': case '5': case '6': return 0; /* disconnect, ack, binary: nothing to answer */
    default: return -1;
  }
}

static const struct server_app app_socketio = {
    .name = "socketio", .serves = socketio_serves, .on_open = socketio_open, .on_text = socketio_text, .on_due = socketio_due};

#endif
