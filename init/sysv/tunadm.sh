#!/bin/sh
{{HEADER}}
#
# chkconfig: 2345 09 91
# description: {{DESCRIPTION}}
#
### BEGIN INIT INFO
# Provides:          tunadm
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# X-Start-Before:    networking network NetworkManager
# X-Stop-After:      networking network NetworkManager
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: {{DESCRIPTION}}
# Description:       {{MODE_DESCRIPTION}}
### END INIT INFO

PATH=/usr/local/sbin:/usr/local/bin:/sbin:/usr/sbin:/bin:/usr/bin
export PATH

{{LIB}}
{{FUNCTIONS}}
case "$1" in
	start)
		echo "Starting TUN/TAP devices (tunadm)"
		tunadm_start
		;;
	stop)
		echo "Stopping TUN/TAP devices (tunadm)"
		tunadm_stop
		;;
	restart)
		tunadm_stop
		tunadm_start
		;;
	reload | force-reload)
		# start is idempotent: it brings existing devices in line without removing them.
		tunadm_start
		;;
	status)
		tunadm_status
		;;
	*)
		echo "Usage: $0 {start|stop|restart|force-reload|status}" >&2
		exit 2
		;;
esac
