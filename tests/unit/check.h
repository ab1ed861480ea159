/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small harness in the style of the kernel's BPF selftests.
 *
 *	TEST(name) { ... }	defines and registers a test (in file order);
 *	ASSERT_*(..., msg)	print what failed, mark the test failed and
 *				evaluate to false, so a test reads
 *				if (!ASSERT_EQ(a, b, "what")) goto out;
 *
 * Integers are compared by value whatever their types: a negative signed
 * value is less than any unsigned one.
 */
#ifndef TCPWT_CHECK_H
#define TCPWT_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
	struct test *next;
};

extern struct test *test_head;
extern struct test **test_tail;
extern bool test_failed;

#define TEST(name)                                                              \
	static void test_##name(void);                                          \
	static struct test test_rec_##name = { #name, test_##name, NULL };      \
	__attribute__((constructor)) static void test_reg_##name(void)          \
	{                                                                       \
		*test_tail = &test_rec_##name;                                  \
		test_tail = &test_rec_##name.next;                              \
	}                                                                       \
	static void test_##name(void)

/* An integer operand, its sign kept. */
struct check_val {
	bool neg;
	long long s;
	unsigned long long u;
};

#define CHECK_SIGNED_(x)                                                        \
	_Generic((x), char: (char)-1 < 0, signed char: 1, short: 1, int: 1,     \
		 long: 1, long long: 1, default: 0)

#define CHECK_VAL_(x)                                                           \
	({                                                                      \
		__auto_type v_ = (x);                                           \
		struct check_val cv_ = { .s = (long long)v_,                    \
					 .u = (unsigned long long)v_ };         \
		cv_.neg = CHECK_SIGNED_(v_) && cv_.s < 0;                       \
		cv_;                                                            \
	})

/* <0, 0, >0 as a is below, equal to or above b. */
static inline int check_cmp(struct check_val a, struct check_val b)
{
	if (a.neg != b.neg)
		return a.neg ? -1 : 1;
	if (a.neg)
		return a.s < b.s ? -1 : a.s > b.s;
	return a.u < b.u ? -1 : a.u > b.u;
}

static inline const char *check_fmt(char *buf, size_t len, struct check_val v)
{
	if (v.neg)
		snprintf(buf, len, "%lld", v.s);
	else
		snprintf(buf, len, "%llu", v.u);
	return buf;
}

static inline bool check_fail(const char *file, int line, const char *msg,
			      const char *what)
{
	printf("  FAIL %s:%d: %s: %s\n", file, line, msg, what);
	fflush(stdout);
	test_failed = true;
	return false;
}

static inline bool check_int(const char *file, int line, const char *msg,
			     struct check_val a, struct check_val b, const char *op)
{
	char what[128], x[24], y[24];
	int c = check_cmp(a, b);
	bool ok;

	if (!strcmp(op, "=="))
		ok = c == 0;
	else if (!strcmp(op, "!="))
		ok = c != 0;
	else if (!strcmp(op, "<="))
		ok = c <= 0;
	else
		ok = c >= 0;
	if (ok)
		return true;
	snprintf(what, sizeof(what), "%s %s %s is false", check_fmt(x, sizeof(x), a), op,
		 check_fmt(y, sizeof(y), b));
	return check_fail(file, line, msg, what);
}

#define CHECK_INT_(a, b, op, msg)                                               \
	check_int(__FILE__, __LINE__, (msg), CHECK_VAL_(a), CHECK_VAL_(b), op)

#define ASSERT_TRUE(x, msg)                                                     \
	((x) ? true : check_fail(__FILE__, __LINE__, (msg), "not true"))
#define ASSERT_FALSE(x, msg)                                                    \
	(!(x) ? true : check_fail(__FILE__, __LINE__, (msg), "not false"))
#define ASSERT_EQ(a, b, msg) CHECK_INT_(a, b, "==", msg)
#define ASSERT_NEQ(a, b, msg) CHECK_INT_(a, b, "!=", msg)
#define ASSERT_LE(a, b, msg) CHECK_INT_(a, b, "<=", msg)
#define ASSERT_GE(a, b, msg) CHECK_INT_(a, b, ">=", msg)

#define ASSERT_NEAR(a, b, tol, msg)                                             \
	({                                                                      \
		double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);  \
		double d_ = a_ > b_ ? a_ - b_ : b_ - a_;                        \
		char w_[128];                                                   \
		bool ok_ = d_ <= t_;                                            \
		if (!ok_) {                                                     \
			snprintf(w_, sizeof(w_), "%.17g not within %g of %.17g",  \
				 a_, t_, b_);                                   \
			check_fail(__FILE__, __LINE__, (msg), w_);              \
		}                                                               \
		ok_;                                                            \
	})

#define ASSERT_STREQ(a, b, msg)                                                 \
	({                                                                      \
		const char *a_ = (a), *b_ = (b);                                \
		bool ok_ = a_ && b_ && !strcmp(a_, b_);                         \
		if (!ok_) {                                                     \
			printf("  FAIL %s:%d: %s: '%s' != '%s'\n", __FILE__,      \
			       __LINE__, (msg), a_ ? a_ : "(null)",             \
			       b_ ? b_ : "(null)");                             \
			test_failed = true;                                     \
		}                                                               \
		ok_;                                                            \
	})

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
