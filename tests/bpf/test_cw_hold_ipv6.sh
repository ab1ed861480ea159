#!/usr/bin/env bash
# The CLOSE_WAIT hold test over IPv6.
ADDR=::1 PORT=18002 exec "$(dirname "$0")/test_cw_hold.sh"
