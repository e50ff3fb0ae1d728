/* The keep-alive Guardian of bench/guardian_stub.py in C, for load benchmarks on a machine whose cores the stub
 * shares with the service it serves: the same answers, at a few microseconds of CPU per check instead of the
 * Python stub's tens, so that a Guardian-on figure measures this service's side of the call rather than the stub.
 *
 * One thread, epoll, non-blocking sockets with TCP_NODELAY; HTTP/1.1 with persistent connections and pipelining;
 * every batch of answers is one write. What it answers (docs/integrations.md section 2):
 *   POST /check-access with the access_token cookie and a JSON object whose "user_id" and "resource_name" are
 *     strings, "service" is "identity" and "operation" one of LIST CREATE READ UPDATE DELETE
 *     -> 200 {"access_granted": true, "reason": "Access granted", "status": 200}
 *     (the members are found by scanning the body for each key, not by a full JSON parse);
 *   without the cookie -> 401; any other body -> 400 (both with Guardian's keys);
 *   GET /stats -> {"checks": N}; anything else -> 404; a head over 64 KiB or a bad Content-Length -> 400 and close.
 *
 * Build and run: cc -O2 -o guardian_stub bench/guardian_stub.c && ./guardian_stub --port 8260
 * (bench/run.sh builds it in its work directory; GUARDIAN_STUB=python runs bench/guardian_stub.py instead).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HEAD (64 * 1024)
#define MAX_BODY (1024 * 1024)

static const char GRANTED_BODY[] = "{\"access_granted\": true, \"reason\": \"Access granted\", \"status\": 200}";
static const char NO_TOKEN_BODY[] = "{\"access_granted\": false, \"reason\": \"Missing token\", \"status\": 401}";
static const char BAD_BODY_BODY[] = "{\"access_granted\": false, \"reason\": \"Invalid request\", \"status\": 400}";
static const char NOT_FOUND_BODY[] = "{\"error\": \"Not found\"}";
static const char BAD_REQUEST[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char *OPERATIONS[] = {"LIST", "CREATE", "READ", "UPDATE", "DELETE"};

static char granted[256], no_token[256], bad_body[256], not_found[256];
static size_t granted_len, no_token_len, bad_body_len, not_found_len;
static unsigned long checks;
static volatile sig_atomic_t stopping;

struct conn {
    int fd;
    char *buf;
    size_t len, cap;
};

static size_t answer(char *out, size_t size, const char *status, const char *body) {
    return (size_t)snprintf(out, size, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                            status, strlen(body), body);
}

/* The value of header `name` (case-insensitive) in the head's header lines, or NULL; *value_len its length. */
static const char *header(const char *head, size_t head_len, const char *name, size_t *value_len) {
    size_t name_len = strlen(name);
    const char *line = memchr(head, '\n', head_len);
    const char *end = head + head_len;
    while (line && ++line < end) {
        const char *eol = memchr(line, '\r', (size_t)(end - line));
        if (!eol) eol = end;
        if ((size_t)(eol - line) > name_len && line[name_len] == ':' && strncasecmp(line, name, name_len) == 0) {
            const char *value = line + name_len + 1;
            while (value < eol && (*value == ' ' || *value == '\t')) value++;
            *value_len = (size_t)(eol - value);
            return value;
        }
        line = memchr(eol, '\n', (size_t)(end - eol));
    }
    return NULL;
}

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* The string value of member `key` of the JSON object in body, or NULL when it has none or it is not a string. */
static const char *string_member(const char *body, size_t len, const char *key, size_t *value_len) {
    char quoted[64];
    int quoted_len = snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *end = body + len, *p = body;
    while ((p = memmem(p, (size_t)(end - p), quoted, (size_t)quoted_len))) {
        const char *q = skip_space(p + quoted_len, end);
        p += quoted_len;
        if (q >= end || *q != ':') continue;
        q = skip_space(q + 1, end);
        if (q >= end || *q != '"') return NULL;
        const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
        if (!close) return NULL;
        *value_len = (size_t)(close - q - 1);
        return q + 1;
    }
    return NULL;
}

static int is(const char *value, size_t len, const char *text) { return value && len == strlen(text) && !memcmp(value, text, len); }

static int well_formed(const char *body, size_t len) {
    const char *p = skip_space(body, body + len), *value;
    size_t value_len;
    if (p >= body + len || *p != '{') return 0;
    if (!string_member(body, len, "user_id", &value_len) || !string_member(body, len, "resource_name", &value_len))
        return 0;
    value = string_member(body, len, "service", &value_len);
    if (!is(value, value_len, "identity")) return 0;
    value = string_member(body, len, "operation", &value_len);
    for (size_t i = 0; i < sizeof OPERATIONS / sizeof *OPERATIONS; i++)
        if (is(value, value_len, OPERATIONS[i])) return 1;
    return 0;
}

static void append(char **out, size_t *len, size_t *cap, const char *data, size_t size) {
    if (*len + size > *cap) {
        *cap = (*len + size) * 2;
        *out = realloc(*out, *cap);
        if (!*out) abort();
    }
    memcpy(*out + *len, data, size);
    *len += size;
}

static void write_all(int fd, const char *data, size_t len) {
    while (len) {
        ssize_t sent = send(fd, data, len, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {  /* the client does not read: wait for room rather than drop the answer */
                fd_set writable;
                FD_ZERO(&writable);
                FD_SET(fd, &writable);
                select(fd + 1, NULL, &writable, NULL, NULL);
                continue;
            }
            return;
        }
        data += sent;
        len -= (size_t)sent;
    }
}

/* Answers every complete request in the connection's buffer; returns 0 when the connection is to be closed. */
static int serve(struct conn *c) {
    static char *out;
    static size_t out_cap;
    size_t out_len = 0, done = 0;
    int keep = 1;
    for (;;) {
        const char *start = c->buf + done;
        size_t avail = c->len - done;
        const char *end = memmem(start, avail, "\r\n\r\n", 4);
        if (!end) {
            if (avail > MAX_HEAD) {
                append(&out, &out_len, &out_cap, BAD_REQUEST, sizeof BAD_REQUEST - 1);
                keep = 0;
            }
            break;
        }
        size_t head_len = (size_t)(end - start), value_len, length = 0;
        const char *value = header(start, head_len, "Content-Length", &value_len);
        if (value) {
            int ok = value_len > 0 && value_len < 8;
            for (size_t i = 0; ok && i < value_len; i++) ok = value[i] >= '0' && value[i] <= '9';
            if (ok) length = strtoul(value, NULL, 10);
            if (!ok || length > MAX_BODY) {
                append(&out, &out_len, &out_cap, BAD_REQUEST, sizeof BAD_REQUEST - 1);
                keep = 0;
                break;
            }
        }
        if (avail < head_len + 4 + length) break; /* the body is still on its way */
        const char *body = end + 4;
        if (head_len >= 19 && !memcmp(start, "POST /check-access ", 19)) {
            value = header(start, head_len, "Cookie", &value_len);
            if (!value || !memmem(value, value_len, "access_token=", 13))
                append(&out, &out_len, &out_cap, no_token, no_token_len);
            else if (!well_formed(body, length))
                append(&out, &out_len, &out_cap, bad_body, bad_body_len);
            else {
                checks++;
                append(&out, &out_len, &out_cap, granted, granted_len);
            }
        } else if (head_len >= 11 && !memcmp(start, "GET /stats ", 11)) {
            char stats[64], text[256];
            snprintf(stats, sizeof stats, "{\"checks\": %lu}", checks);
            append(&out, &out_len, &out_cap, text, answer(text, sizeof text, "200 OK", stats));
        } else {
            append(&out, &out_len, &out_cap, not_found, not_found_len);
        }
        done += head_len + 4 + length;
        value = header(start, head_len, "Connection", &value_len);
        if (value && value_len == 5 && !strncasecmp(value, "close", 5)) {
            keep = 0;
            break;
        }
    }
    if (out_len) write_all(c->fd, out, out_len);
    memmove(c->buf, c->buf + done, c->len - done);
    c->len -= done;
    return keep;
}

static void on_signal(int signum) { (void)signum; stopping = 1; }

int main(int argc, char **argv) {
    int port = 8260;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--port N]\n", argv[0]);
            return 2;
        }
    }
    granted_len = answer(granted, sizeof granted, "200 OK", GRANTED_BODY);
    no_token_len = answer(no_token, sizeof no_token, "401 Unauthorized", NO_TOKEN_BODY);
    bad_body_len = answer(bad_body, sizeof bad_body, "400 Bad Request", BAD_BODY_BODY);
    not_found_len = answer(not_found, sizeof not_found, "404 Not Found", NOT_FOUND_BODY);

    struct sigaction action = {.sa_handler = on_signal};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 512)) {
        perror("guardian_stub: listen");
        return 1;
    }
    int poller = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL}, ready[64];
    epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
    while (!stopping) {
        int count = epoll_wait(poller, ready, 64, 1000);
        for (int i = 0; i < count; i++) {
            struct conn *c = ready[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    c->cap = 16384;
                    c->buf = malloc(c->cap);
                    struct epoll_event added = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(poller, EPOLL_CTL_ADD, fd, &added);
                }
                continue;
            }
            int keep = 1;
            for (;;) {
                if (c->len == c->cap) {
                    c->cap *= 2;
                    c->buf = realloc(c->buf, c->cap);
                    if (!c->buf) abort();
                }
                ssize_t got = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
                if (got > 0) {
                    c->len += (size_t)got;
                    if (c->len < c->cap) break;
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
                keep = 0; /* closed by the client, or an error */
                break;
            }
            if (keep && c->len) keep = serve(c);
            if (!keep) {
                epoll_ctl(poller, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                free(c->buf);
                free(c);
            }
        }
    }
    return 0;
}
