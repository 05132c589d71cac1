#!/bin/sh
# codecheck.sh — build-time checks on the code we own, in the spirit of
# Fossil's codecheck1. Prints each problem and exits 1 if there is any.
#  1. no sprintf, vsprintf, strcpy, strcat, gets, system, popen in src/;
#  2. no SQL text assembled with printf-style formatting (bind values);
#  3. raw template output ({{raw …}}) only where listed in tools/raw-allowed.txt,
#     and no mustache triple braces (an unescaped form we do not support);
#  4. every route table entry names a capability field (CAP_PUBLIC, CAP_LOGIN
#     or a "name.cap" string): a handler never decides alone that it is public.
cd "$(dirname "$0")/.."
bad=0
say() { echo "codecheck: $*"; bad=1; }

hits=$(grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|gets|system|popen)[[:space:]]*\(' src --include='*.c' --include='*.h' \
  | grep -vE '^\S+:[0-9]+:\s*(\*\*|/\*|//)' | grep -vE 'snprintf|vsnprintf|buf_vprintf|buf_printf')
[ -n "$hits" ] && say "unsafe C call:" && echo "$hits"

hits=$(grep -rniE '"[^"]*\b(select|insert|update|delete)\b[^"]*%[-0-9.]*(s|d|lld|q)' src --include='*.c')
[ -n "$hits" ] && say "SQL built with a format string (bind the values):" && echo "$hits"

hits=$(grep -rnE "printf\('%" src tests/unit --include='*.c')
[ -n "$hits" ] && say "SQL formatting values with printf() (compute or bind them):" && echo "$hits"

hits=$(grep -rn '{{{' src --include='*.html')
[ -n "$hits" ] && say "triple braces in a template:" && echo "$hits"

grep -rnoE '\{\{raw [a-zA-Z0-9_.]+\}\}' src --include='*.html' | sed 's/:[0-9]*:/:/' | sort -u > /tmp/codecheck-raw.$$
if [ -s /tmp/codecheck-raw.$$ ]; then
  missing=$(grep -vxFf tools/raw-allowed.txt /tmp/codecheck-raw.$$)
  [ -n "$missing" ] && say "raw template output not in tools/raw-allowed.txt (escape it, or justify it there):" && echo "$missing"
fi
rm -f /tmp/codecheck-raw.$$

hits=$(grep -rnE '^\s*\{"(GET|POST|PUT|DELETE|PATCH)", "[^"]*", [^C"]' src --include='*.c')
[ -n "$hits" ] && say "route without a declared capability:" && echo "$hits"

[ "$bad" -eq 0 ] && echo "codecheck: clean"
exit $bad
