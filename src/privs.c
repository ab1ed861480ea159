// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "privs.h"

int privs__drop(bool keep_file_writes)
{
	cap_value_t keep[] = { CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH,
			       CAP_DAC_OVERRIDE };
	int n = keep_file_writes ? 4 : 3, err = 0;
	cap_t caps = cap_init();

	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_PERMITTED, n, keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, n, keep, CAP_SET) || cap_set_proc(caps))
		err = -errno;
	cap_free(caps);
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
	return err;
}
