#!/usr/bin/env bash
# `make lint`'s Swift step: swift-format's rule findings over Sources/, Tests/ and Package.swift, with the
# checked-in .swift-format. Exits 1 on any finding.
#
# swift-format's lint mode also reports where its pretty-printer would lay the code out differently
# ([Indentation], [AddLines], [RemoveLine], [Spacing], [TrailingWhitespace], [TrailingComma], [LineLength]),
# and no configuration turns those off (swiftlang/swift-format#764). The code base keeps its own
# continuation-line layout and is not reformatted by `swift format`, so this script drops those layout
# findings; line length (120) and file length (600) are checked by scripts/check_lines.py instead.
# Rules disabled in .swift-format (JSON, so the reasons are here): DoNotUseSemicolons (the kernels write
# short paired statements on one line: `register[k] = count; count += 1`), OneCasePerLine (enums whose raw
# values mirror include/swiftgrad.h are declared on one line), OneVariableDeclarationPerLine
# (`var lo = 0, hi = n`). Sources/SwiftGradC keeps the C ABI's snake_case names (`sg_tensor_wrap`) with a
# file-level `swift-format-ignore-file: AlwaysUseLowerCamelCase`.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
out=$("$SWIFT" format lint --strict --parallel --configuration .swift-format --recursive Sources Tests Package.swift 2>&1)
status=$?
layout='\[(Indentation|AddLines|RemoveLine|Spacing|TrailingWhitespace|TrailingComma|LineLength)\]'
findings=$(printf '%s\n' "$out" | grep -Ev "$layout" | grep -E '(error|warning):' || true)
if [ -n "$findings" ]; then
  printf '%s\n' "$findings"
  echo "swift-format: $(printf '%s\n' "$findings" | wc -l) finding(s)"
  exit 1
fi
# A failure that printed no finding at all (a crash, a missing toolchain) fails too.
if [ "$status" -ne 0 ] && ! printf '%s\n' "$out" | grep -Eq "$layout"; then
  printf '%s\n' "$out"
  exit 1
fi
echo "swift-format: no findings"
