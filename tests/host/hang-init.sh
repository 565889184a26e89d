#!/bin/sh
# An init that never finishes, for check-boot-hang.sh.
echo "hang-init: sleeping forever"
while :; do
	sleep 1000
done
