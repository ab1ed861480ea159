/*
 * tcpwl - TCP workload generator for tcpwaittrace.
 *
 * Parks loopback TCP sockets in CLOSE_WAIT / TIME_WAIT for chosen,
 * deterministic times (server, client, receiver) and generates connection
 * churn for benchmarks (churn-server, churn-client).  Only loopback
 * addresses are accepted and every run is bounded by --timeout or
 * --duration.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHURN_GRACE_SECS	3
#define CHURN_BACKLOG		4096
#define BIT(n)			(1u << (n))

enum mode { MODE_NONE, MODE_HOLD, MODE_WAIT_CLOSE, MODE_LEAK, MODE_CLOSE_FIRST, MODE_RESET,
	    MODE_SHUTDOWN_FIRST };

static const char *const mode_names[] = {
	[MODE_HOLD] = "hold",
	[MODE_WAIT_CLOSE] = "wait-close",
	[MODE_LEAK] = "leak",
	[MODE_CLOSE_FIRST] = "close-first",
	[MODE_RESET] = "reset",
	[MODE_SHUTDOWN_FIRST] = "shutdown-first",
};

struct opts {
	const char *cmd;
	const char *addr;
	const char *bind;
	const char *unix_path;
	const char *ready;
	long port;
	long count;
	long hold;
	long linger;
	long timeout;
	long duration;
	long workers;
	long sources;
	long from_port;
	enum mode mode;
	int threads;
	int fork_child;
};

enum { ST_EOF, ST_HOLD, ST_DONE };

struct conn {
	int fd;
	int state;
	long long due;
};

/* One poll() loop driving all connections of a server or client. */
struct loop {
	struct conn *c;
	struct pollfd *pfd;
	long *idx;
	long want;
	long added;
	long done;
	int src;		/* listener or fd pipe, -1 if none */
	int src_pipe;
	int unix_fd;		/* --pass-fd target, -1 if none */
	enum mode mode;
	long hold;
};

struct tally {
	unsigned long long conns;
	unsigned long long errors;
};

static const char usage_text[] =
"usage: tcpwl server --port P [--addr A] [--count N] [--mode hold|leak|close-first]\n"
"                    [--hold MS] [--linger SECS] [--threads] [--fork-child]\n"
"                    [--pass-fd UNIXPATH] [--ready FILE] [--timeout SECS]\n"
"       tcpwl client --port P [--addr A] [--count N]\n"
"                    [--mode close-first|wait-close|leak|shutdown-first] [--hold MS]\n"
"                    [--linger SECS] [--bind SRCADDR] [--from-port SP] [--sources N]\n"
"                    [--ready FILE] [--timeout SECS]\n"
"       tcpwl receiver --unix UNIXPATH [--count N] [--linger SECS] [--ready FILE]\n"
"                    [--timeout SECS]\n"
"       tcpwl churn-server --port P [--addr A] [--duration SECS] [--ready FILE]\n"
"                    [--workers K]\n"
"       tcpwl churn-client --port P [--addr A] [--duration SECS] [--workers K]\n"
"                    [--hold MS] [--mode close-first|reset] [--sources N]\n"
"       tcpwl ack --port P [--addr A] --bind SRCADDR --from-port SP\n"
"       tcpwl timer-loop [--addr A] [--count N]\n"
"defaults: --addr 127.0.0.1 (IPv6 if it contains ':'), --count 1, --hold 0,\n"
"          --linger 0, --timeout 30, --duration 10, --workers 1, --sources 1.\n"
"--sources N: connect from source addresses 127.0.1.1 .. 127.0.1.N in turn\n"
"          (IPv4), each with its own ephemeral ports (churn: connect() takes\n"
"          half the range here).\n"
"client --mode shutdown-first: shutdown(SHUT_WR) after the hold, close() at the\n"
"          server's FIN: the timewait socket is born in TIME_WAIT, not FIN_WAIT2.\n"
"client --from-port SP: every connection from that source port (SO_REUSEADDR):\n"
"          with net.ipv4.tcp_tw_reuse, each takes over the timewait socket the\n"
"          one before left (once it is tcp_tw_reuse_delay old).\n"
"churn: each client connection waits for the server's byte (sent at accept)\n"
"          before it closes; churn-server --workers K serves with K processes.\n"
"churn-client --mode reset: close with SO_LINGER 0 (RST): no TIME_WAIT, no\n"
"          CLOSE_WAIT, only the other transitions and TCP timers.\n"
"ack: sends one bare ACK segment from SRCADDR:SP to A:P through a raw socket:\n"
"          a timewait socket there re-arms its timer (out of window, it answers\n"
"          with an ACK; set net.ipv4.tcp_rfc1337=1 so that the RST this draws\n"
"          does not kill it).\n"
"timer-loop: re-arms one connection's keepalive timer N times (TCP_KEEPIDLE\n"
"          between 10 s and 7000 s), each a timer_start and a timer_cancel\n"
"          on a timer that is not a timewait timer; prints the CPU per re-arm.\n"
"Only loopback addresses (127.0.0.0/8, ::1) are accepted.\n";

static void quit(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("tcpwl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("tcpwl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("calloc");
	return p;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ms(void)
{
	return now_ns() / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void on_alarm(int sig)
{
	static const char msg[] = "tcpwl: timeout\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void arm_timeout(long secs)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, NULL))
		die("sigaction");
	alarm(secs);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl O_NONBLOCK");
}

/* Parse a loopback address; exits 2 on anything else. */
static socklen_t make_addr(const char *s, long port, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':')) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, s, &a6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			quit(2, "invalid or non-loopback address '%s'", s);
		return sizeof(*a6);
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	if (inet_pton(AF_INET, s, &a4->sin_addr) != 1 ||
	    (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
		quit(2, "invalid or non-loopback address '%s'", s);
	return sizeof(*a4);
}

static int tcp_listen(const struct opts *o, int backlog, long *port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(o->addr, o->port, &ss);
	int one = 1, fd;

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind %s port %ld", o->addr, o->port);
	if (listen(fd, backlog))
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	/* sin_port and sin6_port live at the same offset */
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/*
 * --sources N: the n-th connection from 127.0.1.(1 + n % N); its port is
 * picked at connect(), per 4-tuple.
 */
static void bind_source(int fd, const struct opts *o, unsigned long n)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	int one = 1;

	src.sin_addr.s_addr = htonl(0x7f000100 | (1 + n % o->sources));
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)))
		die("bind source");
}

/* The n-th connection. */
static int tcp_connect(const struct opts *o, unsigned long n)
{
	struct sockaddr_storage ss, src;
	socklen_t len = make_addr(o->addr, o->port, &ss), slen;
	int fd;

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (o->sources > 1) {
		bind_source(fd, o, n);
	} else if (o->bind || o->from_port) {
		int one = 1;

		/* The same source port again: a timewait socket of it may be taken over. */
		if (o->from_port && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			die("SO_REUSEADDR");
		/* Without --bind, from the server's own (loopback) address. */
		slen = make_addr(o->bind ? o->bind : o->addr, o->from_port, &src);
		if (bind(fd, (struct sockaddr *)&src, slen))
			die("bind %s port %ld", o->bind ? o->bind : o->addr, o->from_port);
	}
	if (connect(fd, (struct sockaddr *)&ss, len))
		die("connect %s port %ld", o->addr, o->port);
	return fd;
}

static int unix_socket(const char *path, int do_listen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket AF_UNIX");
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	if (!do_listen) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			die("connect %s", path);
		return fd;
	}
	if (unlink(path) && errno != ENOENT)
		die("unlink %s", path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
		die("bind %s", path);
	if (listen(fd, 1))
		die("listen %s", path);
	return fd;
}

static void send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
		die("sendmsg SCM_RIGHTS");
}

/* Receive one message; return how many fds it carried (they are kept open). */
static long recv_fds(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	ssize_t n;
	long got = 0;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	n = recvmsg(sock, &msg, 0);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0)
		die("recvmsg");
	if (n == 0)
		quit(1, "recvmsg: sender closed the connection early");
	if (msg.msg_flags & MSG_CTRUNC)
		quit(1, "recvmsg: control data truncated");
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			got += (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	return got;
}

/* Print a status line and, if asked, publish it atomically in FILE. */
static void announce(const char *file, const char *line)
{
	char tmp[4096];
	FILE *f;

	printf("%s\n", line);
	fflush(stdout);
	if (!file)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		quit(2, "--ready path too long");
	f = fopen(tmp, "w");
	if (!f)
		die("open %s", tmp);
	fprintf(f, "%s\n", line);
	if (ferror(f) | fclose(f))
		die("write %s", tmp);
	if (rename(tmp, file))
		die("rename %s", tmp);
}

static void loop_init(struct loop *l, const struct opts *o)
{
	memset(l, 0, sizeof(*l));
	l->want = o->count;
	l->c = xcalloc(o->count, sizeof(*l->c));
	l->pfd = xcalloc(o->count + 1, sizeof(*l->pfd));
	l->idx = xcalloc(o->count + 1, sizeof(*l->idx));
	l->src = -1;
	l->unix_fd = -1;
	l->mode = o->mode;
	l->hold = o->hold;
}

static void loop_free(struct loop *l)
{
	free(l->c);
	free(l->pfd);
	free(l->idx);
}

static void conn_done(struct loop *l, struct conn *c, int do_close)
{
	if (do_close) {
		close(c->fd);
		c->fd = -1;
	}
	c->state = ST_DONE;
	l->done++;
}

static void loop_add(struct loop *l, int fd)
{
	struct conn *c = &l->c[l->added++];

	c->fd = fd;
	c->due = now_ns() + l->hold * 1000000LL;
	c->state = l->mode == MODE_CLOSE_FIRST || l->mode == MODE_SHUTDOWN_FIRST ? ST_HOLD : ST_EOF;
	if (l->unix_fd >= 0) {
		send_fd(l->unix_fd, fd);
		conn_done(l, c, 1);
	}
}

static void loop_take(struct loop *l)
{
	ssize_t n;
	int fd;

	if (l->src_pipe) {
		n = read(l->src, &fd, sizeof(fd));
		if (n < 0 && errno == EINTR)
			return;
		if (n != sizeof(fd))
			die("read fd pipe");
	} else {
		fd = accept(l->src, NULL, NULL);
		if (fd < 0 && (errno == EAGAIN || errno == EINTR ||
			       errno == ECONNABORTED))
			return;
		if (fd < 0)
			die("accept");
	}
	loop_add(l, fd);
}

static void loop_read(struct loop *l, struct conn *c)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
		return;
	if (n < 0)
		die("read");
	if (l->mode == MODE_LEAK) {
		conn_done(l, c, 0);
		return;
	}
	/* Shut down for writing after its hold: closed at the peer's FIN. */
	if (l->mode == MODE_SHUTDOWN_FIRST) {
		conn_done(l, c, 1);
		return;
	}
	c->state = ST_HOLD;
	c->due = now_ns() + l->hold * 1000000LL;
}

/*
 * Close connections whose hold ran out; return ms to the next deadline,
 * rounded up: a hold is never cut short (deadlines are in ns).
 */
static int loop_expire(struct loop *l)
{
	long long now = now_ns(), next = -1;
	long i;

	for (i = 0; i < l->added; i++) {
		struct conn *c = &l->c[i];

		if (c->state != ST_HOLD)
			continue;
		if (c->due <= now && l->mode == MODE_SHUTDOWN_FIRST) {
			/* FIN first, the socket still open: the peer's FIN finds it in FIN_WAIT2. */
			if (shutdown(c->fd, SHUT_WR))
				die("shutdown");
			c->state = ST_EOF;
		} else if (c->due <= now) {
			conn_done(l, c, 1);
		} else if (next < 0 || c->due < next)
			next = c->due;
	}
	return next < 0 ? -1 : (int)((next - now + 999999) / 1000000);
}

static int loop_fill(struct loop *l)
{
	int np = 0;
	long i;

	if (l->src >= 0 && l->added < l->want) {
		l->pfd[np].fd = l->src;
		l->pfd[np].events = POLLIN;
		l->idx[np++] = -1;
	}
	for (i = 0; i < l->added; i++) {
		if (l->c[i].state != ST_EOF)
			continue;
		l->pfd[np].fd = l->c[i].fd;
		l->pfd[np].events = POLLIN;
		l->idx[np++] = i;
	}
	return np;
}

static void loop_run(struct loop *l)
{
	int i, np, tmo;

	for (;;) {
		tmo = loop_expire(l);
		if (l->done >= l->want)
			return;
		np = loop_fill(l);
		if (poll(l->pfd, np, tmo) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < np; i++) {
			if (!l->pfd[i].revents)
				continue;
			if (l->idx[i] < 0)
				loop_take(l);
			else
				loop_read(l, &l->c[l->idx[i]]);
		}
	}
}

static void *loop_thread(void *arg)
{
	/* A thread name unlike the process's: reports must show the process's. */
	prctl(PR_SET_NAME, "tcpwl-worker");
	loop_run(arg);
	return NULL;
}

static void accept_to_pipe(int lfd, long count, int wfd)
{
	long i;
	int fd;

	for (i = 0; i < count; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED)) {
			i--;
			continue;
		}
		if (fd < 0)
			die("accept");
		if (write(wfd, &fd, sizeof(fd)) != sizeof(fd))
			die("write fd pipe");
	}
}

/* --threads: this thread accepts, a second one waits, holds and closes. */
static void serve_threaded(struct loop *l, int lfd)
{
	pthread_t th;
	int p[2], err;

	if (pipe(p))
		die("pipe");
	l->src = p[0];
	l->src_pipe = 1;
	err = pthread_create(&th, NULL, loop_thread, l);
	if (err) {
		errno = err;
		die("pthread_create");
	}
	accept_to_pipe(lfd, l->want, p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
}

static void fork_child_and_exit(const struct opts *o, long accepted)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		printf("child pid=%d\n", (int)getpid());
		fflush(stdout);
		sleep_ms(o->linger * 1000);
		exit(0);
	}
	printf("done accepted=%ld\n", accepted);
	exit(0);
}

static int run_server(struct opts *o)
{
	struct loop l;
	char line[64];
	long port, accepted;
	int lfd;

	arm_timeout(o->timeout);
	loop_init(&l, o);
	if (o->unix_path)
		l.unix_fd = unix_socket(o->unix_path, 0);
	lfd = tcp_listen(o, o->count + 16, &port);
	snprintf(line, sizeof(line), "ready pid=%d port=%ld", (int)getpid(), port);
	announce(o->ready, line);
	if (o->threads) {
		serve_threaded(&l, lfd);
	} else {
		set_nonblock(lfd);
		l.src = lfd;
		loop_run(&l);
	}
	alarm(0);
	close(lfd);
	if (l.unix_fd >= 0)
		close(l.unix_fd);
	accepted = l.added;
	loop_free(&l);
	if (o->fork_child)
		fork_child_and_exit(o, accepted);
	sleep_ms(o->linger * 1000);
	printf("done accepted=%ld\n", accepted);
	return 0;
}

static int run_client(struct opts *o)
{
	struct loop l;
	char line[64];
	int *fds;
	long i;

	arm_timeout(o->timeout);
	loop_init(&l, o);
	fds = xcalloc(o->count, sizeof(*fds));
	for (i = 0; i < o->count; i++)
		fds[i] = tcp_connect(o, (unsigned long)i);
	snprintf(line, sizeof(line), "ready pid=%d", (int)getpid());
	announce(o->ready, line);
	for (i = 0; i < o->count; i++)
		loop_add(&l, fds[i]);
	free(fds);
	loop_run(&l);
	alarm(0);
	loop_free(&l);
	sleep_ms(o->linger * 1000);
	printf("done connected=%ld\n", o->count);
	return 0;
}

static int run_receiver(struct opts *o)
{
	char line[64];
	long got = 0;
	int lfd, sfd;

	arm_timeout(o->timeout);
	lfd = unix_socket(o->unix_path, 1);
	snprintf(line, sizeof(line), "ready pid=%d", (int)getpid());
	announce(o->ready, line);
	do
		sfd = accept(lfd, NULL, NULL);
	while (sfd < 0 && errno == EINTR);
	if (sfd < 0)
		die("accept %s", o->unix_path);
	while (got < o->count)
		got += recv_fds(sfd);
	alarm(0);
	close(sfd);
	close(lfd);
	unlink(o->unix_path);
	printf("received=%ld\n", got);
	fflush(stdout);
	sleep_ms(o->linger * 1000);
	return 0;
}

static long churn_accept(int lfd, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN };
	long n = 0;
	int fd;

	while (n < 256) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && errno == EAGAIN)
			break;
		if (fd < 0)
			die("accept");
		/* The client waits for this byte: one connection each in the queue. */
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
			close(fd);
			continue;
		}
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			die("epoll_ctl");
		n++;
	}
	return n;
}

static void churn_read(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	close(fd);
}

/* One server process's loop: accepts, sends each connection its byte, closes at EOF. */
static long churn_serve(int lfd, long long end)
{
	struct epoll_event evs[256], ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	long long left;
	long accepted = 0;
	int ep, n, i;

	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll_ctl");
	while ((left = end - now_ms()) > 0) {
		n = epoll_wait(ep, evs, 256, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				accepted += churn_accept(lfd, ep);
			else
				churn_read(evs[i].data.fd);
		}
	}
	close(ep);
	return accepted;
}

/* --workers K: K processes share the listener (each dies with the first). */
static int run_churn_server(struct opts *o)
{
	long long end;
	long port, i;
	char line[64];
	int lfd;

	lfd = tcp_listen(o, CHURN_BACKLOG, &port);
	set_nonblock(lfd);
	end = now_ms() + (o->duration + CHURN_GRACE_SECS) * 1000;
	fflush(stdout);
	for (i = 1; i < o->workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			churn_serve(lfd, end);
			_exit(0);
		}
	}
	snprintf(line, sizeof(line), "ready pid=%d port=%ld", (int)getpid(), port);
	announce(o->ready, line);
	printf("done accepted=%ld\n", churn_serve(lfd, end));
	for (i = 1; i < o->workers; i++)
		wait(NULL);
	return 0;
}

static void churn_worker(const struct opts *o, struct tally *t)
{
	struct timeval tv = { 1, 0 };
	struct sockaddr_storage ss;
	socklen_t len = make_addr(o->addr, o->port, &ss);
	long long end = now_ms() + o->duration * 1000;
	char byte;
	int fd;

	unsigned long n = 0;

	while (now_ms() < end) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
			die("setsockopt SO_SNDTIMEO");
		if (o->sources > 1)
			bind_source(fd, o, n++);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			die("setsockopt SO_RCVTIMEO");
		/*
		 * Closed loop: connect, then wait for the server's byte, sent
		 * once it accepted. An open loop outruns the server's accept()
		 * until the queue overflows and the dropped SYN stalls its
		 * worker for a second: a rate of stalls, not of work.
		 */
		if (connect(fd, (struct sockaddr *)&ss, len) || read(fd, &byte, 1) != 1) {
			close(fd);
			t->errors++;
			sleep_ms(1);
			continue;
		}
		if (o->hold)
			sleep_ms(o->hold);
		if (o->mode == MODE_RESET) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
				die("setsockopt SO_LINGER");
		}
		close(fd);
		t->conns++;
	}
}

static void churn_wait(long workers)
{
	int status;
	long i;

	for (i = 0; i < workers; i++) {
		if (wait(&status) < 0)
			die("wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			quit(1, "churn worker failed");
	}
}

static int run_churn_client(struct opts *o)
{
	unsigned long long conns = 0, errs = 0;
	struct tally *t;
	long long start;
	double secs;
	pid_t pid;
	long i;

	t = mmap(NULL, o->workers * sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		die("mmap");
	fflush(stdout);
	start = now_ns();
	for (i = 0; i < o->workers; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			churn_worker(o, &t[i]);
			_exit(0);
		}
	}
	churn_wait(o->workers);
	secs = (now_ns() - start) / 1e9;
	for (i = 0; i < o->workers; i++) {
		conns += t[i].conns;
		errs += t[i].errors;
	}
	munmap(t, o->workers * sizeof(*t));
	printf("connections=%llu seconds=%.3f rate=%llu errors=%llu\n", conns,
	       secs, (unsigned long long)(conns / secs + 0.5), errs);
	return 0;
}

/* The Internet checksum of a pseudo-header (src, dst: alen bytes each) and a TCP segment. */
static uint16_t tcp_csum(const void *src, const void *dst, size_t alen,
			 const void *seg, size_t len)
{
	const uint8_t *parts[3] = { src, dst, seg };
	size_t lens[3] = { alen, alen, len };
	uint32_t sum = IPPROTO_TCP + (uint32_t)len;

	for (int p = 0; p < 3; p++)
		for (size_t i = 0; i < lens[p]; i += 2)
			sum += parts[p][i] << 8 | (i + 1 < lens[p] ? parts[p][i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static int run_ack(struct opts *o)
{
	struct sockaddr_storage dst, src;
	socklen_t dlen = make_addr(o->addr, o->port, &dst);
	socklen_t slen = make_addr(o->bind, 0, &src);
	struct tcphdr th = {
		.source = htons(o->from_port),
		.dest = htons(o->port),
		.seq = htonl(1),
		.doff = sizeof(th) / 4,
		.ack = 1,
		.window = htons(1024),
	};
	const void *sa, *da;
	size_t alen;
	int fd;

	/* The port goes in the header: a raw socket's port field means a protocol. */
	if (dst.ss_family == AF_INET) {
		sa = &((struct sockaddr_in *)&src)->sin_addr;
		da = &((struct sockaddr_in *)&dst)->sin_addr;
		alen = 4;
		((struct sockaddr_in *)&dst)->sin_port = 0;
	} else {
		sa = &((struct sockaddr_in6 *)&src)->sin6_addr;
		da = &((struct sockaddr_in6 *)&dst)->sin6_addr;
		alen = 16;
		((struct sockaddr_in6 *)&dst)->sin6_port = 0;
	}
	th.check = tcp_csum(sa, da, alen, &th, sizeof(th));
	fd = socket(dst.ss_family, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0)
		die("raw socket (needs CAP_NET_RAW)");
	if (bind(fd, (struct sockaddr *)&src, slen))
		die("bind %s", o->bind);
	if (sendto(fd, &th, sizeof(th), 0, (struct sockaddr *)&dst, dlen) != sizeof(th))
		die("sendto");
	close(fd);
	return 0;
}

/*
 * timer-loop: one connection's keepalive timer re-armed --count times, each a
 * timer_start and a timer_cancel on a timer that is not a timewait timer,
 * with nothing else in between but the setsockopt() (caches stay hot). Its
 * idle time alternates between two far apart, so that each re-arm moves the
 * timer to another wheel bucket: one re-armed within its bucket fires no
 * tracepoint.
 */
static int run_timer_loop(struct opts *o)
{
	static const int idle[2] = { 10, 7000 }; /* seconds */
	long long t0, t1;
	struct timespec c0, c1;
	int lfd, cfd, sfd, one = 1;
	long i;

	o->port = 0;
	lfd = tcp_listen(o, 1, &o->port);
	cfd = tcp_connect(o, 0);
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		die("accept");
	if (setsockopt(cfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		die("setsockopt SO_KEEPALIVE");
	t0 = now_ns();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (i = 0; i < o->count; i++)
		if (setsockopt(cfd, IPPROTO_TCP, TCP_KEEPIDLE, &idle[i & 1], sizeof(int)))
			die("setsockopt TCP_KEEPIDLE");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	t1 = now_ns();
	printf("rearms=%ld cpu_ns_per_rearm=%.1f wall_ns_per_rearm=%.1f\n", o->count,
	       ((c1.tv_sec - c0.tv_sec) * 1e9 + (c1.tv_nsec - c0.tv_nsec)) / o->count,
	       (double)(t1 - t0) / o->count);
	close(sfd);
	close(cfd);
	close(lfd);
	return 0;
}

struct command {
	const char *name;
	const char *opts;	/* allowed option codes */
	unsigned int modes;	/* allowed --mode values */
	enum mode def;
	int (*run)(struct opts *o);
};

static const struct command commands[] = {
	{ "server", "pacmHltfPrT",
	  BIT(MODE_HOLD) | BIT(MODE_LEAK) | BIT(MODE_CLOSE_FIRST),
	  MODE_HOLD, run_server },
	{ "client", "pacmHlbrTFS",
	  BIT(MODE_CLOSE_FIRST) | BIT(MODE_WAIT_CLOSE) | BIT(MODE_LEAK) | BIT(MODE_SHUTDOWN_FIRST),
	  MODE_CLOSE_FIRST, run_client },
	{ "receiver", "uclrT", 0, MODE_NONE, run_receiver },
	{ "churn-server", "padrw", 0, MODE_NONE, run_churn_server },
	{ "churn-client", "padwHmS", BIT(MODE_CLOSE_FIRST) | BIT(MODE_RESET), MODE_CLOSE_FIRST,
	  run_churn_client },
	{ "ack", "pabF", 0, MODE_NONE, run_ack },
	{ "timer-loop", "ac", 0, MODE_NONE, run_timer_loop },
};

static const struct option longopts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "addr", required_argument, NULL, 'a' },
	{ "count", required_argument, NULL, 'c' },
	{ "mode", required_argument, NULL, 'm' },
	{ "hold", required_argument, NULL, 'H' },
	{ "linger", required_argument, NULL, 'l' },
	{ "threads", no_argument, NULL, 't' },
	{ "fork-child", no_argument, NULL, 'f' },
	{ "pass-fd", required_argument, NULL, 'P' },
	{ "ready", required_argument, NULL, 'r' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "bind", required_argument, NULL, 'b' },
	{ "unix", required_argument, NULL, 'u' },
	{ "duration", required_argument, NULL, 'd' },
	{ "workers", required_argument, NULL, 'w' },
	{ "sources", required_argument, NULL, 'S' },
	{ "from-port", required_argument, NULL, 'F' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const char *opt_name(int c)
{
	const struct option *lo;

	for (lo = longopts; lo->name; lo++)
		if (lo->val == c)
			return lo->name;
	return "?";
}

static long parse_num(int c, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max)
		quit(2, "invalid --%s '%s' (expected %ld..%ld)", opt_name(c),
		     s, min, max);
	return v;
}

static enum mode parse_mode(const struct command *cmd, const char *s)
{
	unsigned int m;

	for (m = MODE_HOLD; m <= MODE_SHUTDOWN_FIRST; m++)
		if (!strcmp(s, mode_names[m]) && (cmd->modes & BIT(m)))
			return m;
	quit(2, "%s: invalid --mode '%s'", cmd->name, s);
	return MODE_NONE;
}

static void set_opt(struct opts *o, const struct command *cmd, int c,
		    const char *arg)
{
	switch (c) {
	case 'p': o->port = parse_num(c, arg, 0, 65535); break;
	case 'a': o->addr = arg; break;
	case 'c': o->count = parse_num(c, arg, 1, 1000000); break;
	case 'm': o->mode = parse_mode(cmd, arg); break;
	case 'H': o->hold = parse_num(c, arg, 0, 86400000); break;
	case 'l': o->linger = parse_num(c, arg, 0, 86400); break;
	case 't': o->threads = 1; break;
	case 'f': o->fork_child = 1; break;
	case 'P': case 'u': o->unix_path = arg; break;
	case 'r': o->ready = arg; break;
	case 'T': o->timeout = parse_num(c, arg, 1, 86400); break;
	case 'b': o->bind = arg; break;
	case 'd': o->duration = parse_num(c, arg, 1, 86400); break;
	case 'w': o->workers = parse_num(c, arg, 1, 1024); break;
	case 'S': o->sources = parse_num(c, arg, 1, 254); break;
	case 'F': o->from_port = parse_num(c, arg, 1, 65535); break;
	}
}

static void validate(struct opts *o, const struct command *cmd)
{
	struct sockaddr_storage a, b;
	struct sockaddr_un sun;

	if (strchr(cmd->opts, 'p') && o->port < 0)
		quit(2, "%s: --port is required", o->cmd);
	if (strchr(cmd->opts, 'b') && o->port == 0)
		quit(2, "%s: --port must be 1..65535", o->cmd);
	if (!strcmp(o->cmd, "churn-client") && o->port == 0)
		quit(2, "%s: --port must be 1..65535", o->cmd);
	if (!strcmp(o->cmd, "ack") && (!o->bind || !o->from_port))
		quit(2, "%s: --bind and --from-port are required", o->cmd);
	if (!strcmp(o->cmd, "receiver") && !o->unix_path)
		quit(2, "%s: --unix is required", o->cmd);
	if (o->unix_path && strlen(o->unix_path) >= sizeof(sun.sun_path))
		quit(2, "unix socket path too long");
	make_addr(o->addr, 0, &a);
	if (o->bind && make_addr(o->bind, 0, &b) && a.ss_family != b.ss_family)
		quit(2, "--bind and --addr must be the same address family");
	if (o->fork_child && o->mode != MODE_LEAK)
		quit(2, "--fork-child requires --mode leak");
	if (o->fork_child && o->unix_path)
		quit(2, "--fork-child and --pass-fd are exclusive");
	if (o->sources > 1 && (o->bind || o->from_port))
		quit(2, "--sources excludes --bind and --from-port");
	if (o->sources > 1 && a.ss_family != AF_INET)
		quit(2, "--sources needs an IPv4 --addr");
}

static void parse_args(int argc, char **argv, struct opts *o,
		       const struct command *cmd)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (c == '?')
			quit(2, "%s: unknown option '%s'", o->cmd,
			     argv[optind - 1]);
		if (c == ':')
			quit(2, "%s: option '%s' needs a value", o->cmd,
			     argv[optind - 1]);
		if (!strchr(cmd->opts, c))
			quit(2, "%s: option '--%s' not valid here", o->cmd,
			     opt_name(c));
		set_opt(o, cmd, c, optarg);
	}
	if (optind < argc)
		quit(2, "%s: unexpected argument '%s'", o->cmd, argv[optind]);
	validate(o, cmd);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {
		.addr = "127.0.0.1", .port = -1, .count = 1, .timeout = 30,
		.duration = 10, .workers = 1, .sources = 1,
	};
	size_t i;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		o.cmd = argv[1];
		o.mode = commands[i].def;
		parse_args(argc - 1, argv + 1, &o, &commands[i]);
		signal(SIGPIPE, SIG_IGN);
		raise_nofile();
		return commands[i].run(&o);
	}
	quit(2, "unknown command '%s' (try 'tcpwl --help')", argv[1]);
	return 2;
}
