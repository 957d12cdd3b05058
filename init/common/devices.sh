# Helpers shared by the tunadm boot scripts. Variables are prefixed tunadm_: init systems source
# these scripts into shells of their own (openrc-run uses $name, for one).

# tunadm_present NAME: true when NAME exists and is a TUN/TAP device.
tunadm_present() {
	[ -e "/sys/class/net/$1/tun_flags" ]
}

# tunadm_create NAME MODE [ip tuntap options...]: create the device unless it already exists as
# that kind of device; never re-creates, re-owns or attaches to an existing one.
tunadm_create() {
	tunadm_name=$1
	tunadm_mode=$2
	shift 2
	if [ -e "/sys/class/net/$tunadm_name" ]; then
		if ! tunadm_present "$tunadm_name"; then
			echo "tunadm: $tunadm_name exists and is not a TUN/TAP device; leaving it alone" >&2
			return 1
		fi
		tunadm_flags=$(cat "/sys/class/net/$tunadm_name/tun_flags") || return 1
		tunadm_want=1
		[ "$tunadm_mode" = tap ] && tunadm_want=2
		if [ $((tunadm_flags & 3)) -ne "$tunadm_want" ]; then
			echo "tunadm: $tunadm_name exists but is not a $tunadm_mode device; stop first to re-create it" >&2
			return 1
		fi
		return 0
	fi
	ip tuntap add dev "$tunadm_name" mode "$tunadm_mode" "$@"
}

# tunadm_remove NAME: delete the TUN/TAP device NAME; nothing to do when it is absent.
tunadm_remove() {
	tunadm_present "$1" || return 0
	ip link del dev "$1"
}
