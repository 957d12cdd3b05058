#!/sbin/openrc-run
{{HEADER}}
# shellcheck shell=sh disable=SC2034

description={{DESCRIPTION}}
extra_started_commands="reload"

depend() {
	need localmount
	before net
}

{{LIB}}
{{FUNCTIONS}}
start() {
	ebegin "Creating TUN/TAP devices"
	tunadm_start
	eend $?
}

stop() {
	ebegin "Removing TUN/TAP devices"
	tunadm_stop
	eend $?
}

reload() {
	ebegin "Bringing TUN/TAP devices in line with the config"
	tunadm_start
	eend $?
}

status() {
	tunadm_status
}
