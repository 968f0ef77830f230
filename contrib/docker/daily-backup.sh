#!/bin/sh
# The daily backup inside a container (compose.backup.yml): `obexal-runbook backup --yes` every day at BACKUP_AT
# (HH:MM in TZ, 02:15 by default). Like systemd's Persistent=true, a container that starts with no dump younger
# than a day in BACKUP_DIR backs up at once, so a restart or a host that was down never skips a day.
set -u
at=${BACKUP_AT:-02:15}
backup() {
  obexal-runbook backup --yes
  code=$?
  [ "$code" -eq 0 ] || echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) obexal-daily-backup: backup exited $code" >&2
}
if [ -z "$(find "${BACKUP_DIR:?}" -maxdepth 1 -name 'obexal-*.dump*' ! -name '*.partial' -mmin -1440 2>/dev/null)" ]; then
  backup
fi
trap 'exit 143' TERM
trap 'exit 130' INT
while :; do
  now=$(date +%s)
  next=$(date -d "today $at" +%s)
  [ "$next" -gt "$now" ] || next=$(date -d "tomorrow $at" +%s)
  sleep $((next - now)) &
  wait $!
  backup
done
