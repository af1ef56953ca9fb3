/*
 * --app socketio: Socket.IO over Engine.IO 4 (or 3 with --eio 3) on WebSocket. The server opens
 * with `0{...}`; the client joins --namespace (default /) with `40` (`40/ns,`, with --auth's JSON
 * payload); the session counts on the server's `40` for that namespace, and `44{...}` refuses it.
 * Engine.IO 4: the server's ping `2` is answered `3`. Engine.IO 3: the server joins / by itself,
 * and the client pings `2` every pingInterval of the open packet, answered `3`. Events `42[...]`
 * (and binary events) are pushed. --publish emits `42["EVENT","TEXT"]` (`42/ns,[...]` in a
 * namespace), EVENT from --event (message), for a room that emits it to everyone.
 */
#ifndef C1M_APP_SOCKETIO_H
#define C1M_APP_SOCKETIO_H

#include "client-app.h"

static const char *sio_namespace = "/", *sio_auth, *sio_event = "message";
static int sio_eio = 4;
/* app_state: the open packet is awaited, then the namespace's CONNECT. */
enum { SIO_OPENING, SIO_JOINING };

static int sio_option(const char *name, const char *value) {
  if (strcmp(name, "--namespace") == 0) {
    sio_namespace = value;
    return value[0] == '/' && !strpbrk(value, ",\"\r\n") && strlen(value) < 200 ? 1 : -1;
  }
  if (strcmp(name, "--auth") == 0) {
    sio_auth = value;
    return value[0] == '{' && strlen(value) < 2000 ? 1 : -1;
  }
  if (strcmp(name, "--eio") == 0) {
    sio_eio = atoi(value);
    return sio_eio == 3 || sio_eio == 4 ? 1 : -1;
  }
  if (strcmp(name, "--event") == 0) { /* for phoenix too: each dialect keeps its own */
    sio_event = value;
    return app_plain_name(value) ? 1 : -1;
  }
  return 0;
}

static int sio_root(void) { return strcmp(sio_namespace, "/") == 0; }

/* The packet after the type's digits for our namespace: "" or the payload, or NULL (another one). */
static const char *sio_for_us(const char *rest) {
  if (sio_root()) return rest[0] == '/' ? NULL : rest;
  size_t n = strlen(sio_namespace);
  if (strncmp(rest, sio_namespace, n) != 0 || (rest[n] != ',' && rest[n] != 0)) return NULL;
  return rest[n] == ',' ? rest + n + 1 : rest + n;
}

/* CONNECT to the namespace: 40, 40/ns, with the auth payload. */
static int sio_join(int fd) {
  char out[2400];
  int n = snprintf(out, sizeof out, "40%s%s%s", sio_root() ? "" : sio_namespace, !sio_root() && sio_auth ? "," : "", sio_auth && sio_eio == 4 ? sio_auth : "");
  return app_send(fd, out, (size_t)n);
}

static int sio_on_text(int fd, const char *msg, size_t len) {
  (void)len;
  struct conn_ext *e = &exts[fd];
  char why[200];
  switch (msg[0]) {
  case '0': /* the Engine.IO open packet */
    if (e->app_state != SIO_OPENING) return APP_NONE;
    e->app_state = SIO_JOINING;
    if (sio_eio == 3) {
      if (app_heartbeat_every <= 0) app_heartbeat_every = app_json_number(msg, "pingInterval", 25000) / 1000;
      return sio_root() ? APP_NONE : sio_join(fd) < 0 ? -1 : APP_NONE;
    }
    return sio_join(fd) < 0 ? -1 : APP_NONE;
  case '1':
    return refuse_session(fd, "socket.io: the server closed the Engine.IO session");
  case '2': /* Engine.IO 4: the server's ping */
    if (app_send(fd, "3", 1) < 0) return -1;
    heartbeats_answered++;
    return APP_NONE;
  case '3': /* Engine.IO 3: the answer to our ping */
    heartbeats_answered++;
    return APP_NONE;
  case '4': {
    const char *rest = msg[1] ? sio_for_us(msg + 2) : NULL;
    if (!rest) return APP_NONE;
    if (msg[1] == '0') return conns[fd].state == SESSION ? APP_ACCEPTED : APP_NONE;
    if (msg[1] == '4') {
      snprintf(why, sizeof why, "socket.io: namespace %s refused: %.150s", sio_namespace, rest);
      return refuse_session(fd, why);
    }
    if (msg[1] == '1') return refuse_session(fd, "socket.io: the server disconnected the namespace");
    return APP_PUSHED; /* events, acks, binary events */
  }
  default:
    return APP_NONE; /* 6 noop */
  }
}

/* --publish: the event with the text as its one argument, in our namespace. */
static int sio_publish(char *out, size_t size, const char *payload, int len) {
  char text[APP_MSG_MAX];
  (void)len;
  app_json_escape(payload, text, sizeof text);
  return snprintf(out, size, "42%s%s[\"%s\",\"%s\"]", sio_root() ? "" : sio_namespace, sio_root() ? "" : ",", sio_event, text);
}

static int sio_start(int fd) { (void)fd; return APP_NONE; }
static int sio_heartbeat(int fd) { return sio_eio == 3 ? app_send(fd, "2", 1) : -1; }

static const struct app app_socketio = {
  .name = "socketio", .option = sio_option, .start = sio_start, .on_text = sio_on_text, .heartbeat = sio_heartbeat, .publish = sio_publish,
  .ws_only = 1,
};

#endif
