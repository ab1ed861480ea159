#!/usr/bin/env bash
# The CLOSE_WAIT hold test over IPv6 (one loopback address: the IPv4 test
# tells a TIME_WAIT socket's peer from its own address).
ADDR=::1 CLIENT_ADDR=::1 PORT=18002 exec "$(dirname "$0")/test_cw_hold.sh"
