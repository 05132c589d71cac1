#!/bin/sh
# po.sh — extracts every user-visible string into po/guichet.pot: the C
# sources (_() and N_()) with xgettext, and the templates' {{t "…"}} texts.
# A translation is then po/LANG.po (msginit/msgmerge), compiled by `make`
# into locale/LANG/LC_MESSAGES/guichet.mo and chosen with LANGUAGE=LANG.
set -e
cd "$(dirname "$0")/.."
mkdir -p build po
xgettext --from-code=UTF-8 --language=C -k_ -kN_ --package-name=guichet -o build/c.pot $(find src -name '*.c' | sort)
{ printf 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
  grep -rhoE '\{\{t "[^"]*"\}\}' src --include='*.html' | sed -E 's/^\{\{t "(.*)"\}\}$/\1/' | sort -u |
    awk '{ gsub(/\\/, "\\\\"); printf "msgid \"%s\"\nmsgstr \"\"\n\n", $0 }'; } > build/tmpl.po
msgcat --use-first -o po/guichet.pot build/c.pot build/tmpl.po
echo "po/guichet.pot: $(grep -c '^msgid ' po/guichet.pot) messages"
