// nsenter.c runs before the Go runtime starts (a gcc constructor), while the
// process still has a single thread: setns(2) into a mount or user namespace,
// and entering a time namespace, are refused to multi-threaded processes, and
// a joined pid namespace only applies to children. See doc.go for the design.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define MAX_JOIN 16

static int sync_fd = -1;

// fail reports msg to the parent over the sync socket and exits: the parent
// turns the line into a Go error naming the step.
static void fail(const char *fmt, ...)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "error ");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (sync_fd >= 0 && write(sync_fd, buf, n) < 0) {
		/* nothing left to report to */
	}
	_exit(1);
}

static void send_line(const char *fmt, long v)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), fmt, v);
	if (write(sync_fd, buf, n) != n)
		fail("writing to sync socket: %s", strerror(errno));
}

// wait_ack reads one line from the parent; "ok" lets us go on.
static void wait_ack(const char *what)
{
	char buf[128];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(sync_fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("waiting for parent (%s): %s", what, r == 0 ? "EOF" : strerror(errno));
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	if (strcmp(buf, "ok") != 0)
		fail("parent refused %s: %s", what, buf);
}

static int ns_flag(const char *type)
{
	static const struct { const char *name; int flag; } t[] = {
		{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS}, {"pid", CLONE_NEWPID},
		{"net", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
		{"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, type) == 0)
			return t[i].flag;
	return 0;
}

struct join { int flag; int fd; char path[256]; };

// open_joins opens every "type:path" of spec, so that paths resolve in the
// namespaces we start from, before any setns changes them.
static int open_joins(char *spec, struct join *js)
{
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon || n == MAX_JOIN)
			fail("bad namespace join %s", tok);
		*colon = 0;
		js[n].flag = ns_flag(tok);
		if (!js[n].flag)
			fail("unknown namespace type %s", tok);
		snprintf(js[n].path, sizeof(js[n].path), "%s", colon + 1);
		js[n].fd = open(colon + 1, O_RDONLY | O_CLOEXEC);
		if (js[n].fd < 0)
			fail("open %s namespace %s: %s", tok, colon + 1, strerror(errno));
		n++;
	}
	return n;
}

// join_all enters the user namespace first (it grants the capabilities the
// other joins are checked against), then the others, mount last but one and
// time last (entering a time namespace checks the mount namespace's clocks).
static void join_all(struct join *js, int n)
{
	static const int order[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
		CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWNS, CLONE_NEWTIME};
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (int i = 0; i < n; i++) {
			if (js[i].flag != order[o])
				continue;
			if (setns(js[i].fd, js[i].flag) < 0)
				fail("setns %s: %s", js[i].path, strerror(errno));
			close(js[i].fd);
		}
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open %s: %s", path, strerror(errno));
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len)
		fail("write %s: %s", path, strerror(errno));
	close(fd);
}

// new_userns unshares a user namespace and has the parent write its id
// maps (writing them ourselves would limit us to a single mapping of our
// own id).
static void new_userns(void)
{
	if (unshare(CLONE_NEWUSER) < 0)
		fail("unshare user namespace: %s", strerror(errno));
	send_line("userns %ld\n", (long)getpid());
	wait_ack("uid/gid mapping");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		fail("becoming root in the new user namespace: %s", strerror(errno));
}

static void new_timens(const char *offsets)
{
	if (unshare(CLONE_NEWTIME) < 0)
		fail("unshare time namespace: %s", strerror(errno));
	// Offsets must be set before any process enters the namespace.
	if (offsets && *offsets)
		write_file("/proc/self/timens_offsets", offsets);
	int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		fail("entering new time namespace: %s", strerror(errno));
	close(fd);
}

// fork_sibling forks the process that lives on. CLONE_PARENT makes it our
// parent's child, so the runtime can wait for it; we report its pid and exit.
static void fork_sibling(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail("fork into pid namespace: %s", strerror(errno));
	if (pid > 0) {
		send_line("pid %ld\n", (long)pid);
		_exit(0);
	}
}

__attribute__((constructor)) static void onggi_nsenter(void)
{
	const char *fdstr = getenv("_ONGGI_NSENTER");
	if (!fdstr)
		return;
	sync_fd = atoi(fdstr);
	char *joins = getenv("_ONGGI_NS_JOIN");
	const char *newstr = getenv("_ONGGI_NS_NEW");
	const char *root = getenv("_ONGGI_NS_ROOT");
	const char *offsets = getenv("_ONGGI_TIMENS_OFFSETS");
	int newflags = newstr ? atoi(newstr) : 0;
	struct join js[MAX_JOIN];
	int n = 0, joined = 0, rootfd = -1;

	if (joins && *joins)
		n = open_joins(strdup(joins), js);
	for (int i = 0; i < n; i++)
		joined |= js[i].flag;
	if (root && *root) {
		rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			fail("open container root %s: %s", root, strerror(errno));
	}
	join_all(js, n);
	if (rootfd >= 0) {
		// The joined mount namespace's root may be the host's when the
		// container used MS_MOVE+chroot instead of pivot_root.
		if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
			fail("chroot into container root: %s", strerror(errno));
		close(rootfd);
	}
	if (newflags & CLONE_NEWUSER)
		new_userns();
	int rest = newflags & ~(CLONE_NEWUSER | CLONE_NEWTIME | CLONE_NEWCGROUP);
	if (rest && unshare(rest) < 0)
		fail("unshare namespaces 0x%x: %s", rest, strerror(errno));
	if (newflags & CLONE_NEWTIME)
		new_timens(offsets);
	if ((newflags | joined) & CLONE_NEWPID)
		fork_sibling();
	else
		send_line("pid %ld\n", (long)getpid());
	unsetenv("_ONGGI_NSENTER");
	unsetenv("_ONGGI_NS_JOIN");
	unsetenv("_ONGGI_NS_NEW");
	unsetenv("_ONGGI_NS_ROOT");
	unsetenv("_ONGGI_TIMENS_OFFSETS");
}
