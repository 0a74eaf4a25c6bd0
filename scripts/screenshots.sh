#!/usr/bin/env bash
# docs/screenshots/: the manager's view of every fixture as a 120x50 terminal shows it (tmux),
# and the auditor's section of three fixtures in headless Chromium. Run from the repository root
# after `make test` has built .venv: scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
mkdir -p "$out"
as_of=2024-06-30
bin="$PWD/.venv/bin"
session="casecheck-shots-$$"
tmux new-session -d -s "$session" -x 120 -y 50 "env PS1='$ ' bash --norc --noprofile"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
for case in fixtures/*.json; do
  name=$(basename "$case" .json)
  tmux send-keys -t "$session" "clear; $bin/casecheck check $case --profile practice --as-of $as_of" Enter
  sleep 2
  # the screen as shown, without the empty rows under the prompt
  tmux capture-pane -t "$session" -p | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$out/check-$name.txt"
done
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars)
work=$(mktemp -d)
for name in looked-after cin-cp-care cp-neglect; do
  "$bin/casecheck" report "fixtures/$name.json" --profile practice --as-of "$as_of" \
    --out "$work/audit-$name.html" 2>/dev/null
  mkdir "$work/profile-$name"
  chromium "${flags[@]}" --user-data-dir="$work/profile-$name" --window-size=900,1600 \
    --screenshot="$out/audit-$name.png" "file://$work/audit-$name.html" >/dev/null 2>&1
done
rm -rf "$work"
ls -l "$out"
