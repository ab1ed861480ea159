/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small harness in the style of the kernel's BPF selftests: TEST(name)
 * registers a test; ASSERT_* print what failed and return false, so a test
 * reads  if (!ASSERT_EQ(a, b, "what")) goto out;
 */
#ifndef TCPWT_CHECK_H
#define TCPWT_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
	struct test *next;
};

extern struct test *test_list;
extern bool test_failed;

#define TEST(name)                                                              \
	static void test_##name(void);                                          \
	static struct test test_rec_##name = { #name, test_##name, NULL };      \
	__attribute__((constructor)) static void test_reg_##name(void)          \
	{                                                                       \
		test_rec_##name.next = test_list;                               \
		test_list = &test_rec_##name;                                   \
	}                                                                       \
	static void test_##name(void)

#define CHECK_FAIL_(fmt, ...)                                                   \
	({                                                                      \
		printf("  FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__); \
		test_failed = true;                                             \
		false;                                                          \
	})

#define ASSERT_TRUE(x, msg) ((x) ? true : CHECK_FAIL_("%s: not true", msg))
#define ASSERT_FALSE(x, msg) (!(x) ? true : CHECK_FAIL_("%s: not false", msg))
#define ASSERT_EQ(a, b, msg)                                                    \
	({                                                                      \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		a_ == b_ ? true : CHECK_FAIL_("%s: %llu != %llu", msg, a_, b_); \
	})
#define ASSERT_NEQ(a, b, msg)                                                   \
	({                                                                      \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		a_ != b_ ? true : CHECK_FAIL_("%s: both %llu", msg, a_);        \
	})
#define ASSERT_LE(a, b, msg)                                                    \
	({                                                                      \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		a_ <= b_ ? true : CHECK_FAIL_("%s: %llu > %llu", msg, a_, b_);  \
	})
#define ASSERT_GE(a, b, msg)                                                    \
	({                                                                      \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		a_ >= b_ ? true : CHECK_FAIL_("%s: %llu < %llu", msg, a_, b_);  \
	})
#define ASSERT_NEAR(a, b, tol, msg)                                             \
	({                                                                      \
		double a_ = (double)(a), b_ = (double)(b), d_ = a_ - b_;        \
		(d_ < 0 ? -d_ : d_) <= (double)(tol)                            \
			? true                                                  \
			: CHECK_FAIL_("%s: %g not within %g of %g", msg, a_, (double)(tol), b_); \
	})
#define ASSERT_STREQ(a, b, msg)                                                 \
	({                                                                      \
		const char *a_ = (a), *b_ = (b);                                \
		a_ && b_ && !strcmp(a_, b_) ? true                              \
					    : CHECK_FAIL_("%s: '%s' != '%s'", msg, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	})

#endif
