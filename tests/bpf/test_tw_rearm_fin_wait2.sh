#!/usr/bin/env bash
# The timewait re-arm, for timewait sockets born in FIN_WAIT2: the server
# closes 300 ms after the client's FIN, so each client's timewait socket is
# born in FIN_WAIT2 and moves to TIME_WAIT at the server's FIN. That move
# re-arms its timer by 300 ms, usually within the same timer wheel bucket,
# where no timer tracepoint fires. The ACK's re-arm at 6 s must then not be
# taken for the move to TIME_WAIT: it names when the socket entered it.
SERVER_ARGS="--hold 300" PORT=18074 exec "$(dirname "$0")/test_tw_rearm.sh"
