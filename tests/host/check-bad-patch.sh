#!/bin/bash
# A patch that does not apply: scripts/worktree.sh fails and names the
# patch and the file (on a scratch fake base, not the real work tree).
. "$(dirname "$0")/lib.sh"
d=$(scratch)
fake_tree "$d/linux" 12
mkdir -p "$d/patches"
cat >"$d/patches/0001-hello-return-0.patch" <<'PATCH'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Host Check <check@localhost>
Date: Thu, 1 Jan 2026 00:00:00 +0000
Subject: [PATCH] hello: return 0

---
 hello.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/hello.c b/hello.c
--- a/hello.c
+++ b/hello.c
@@ -1,4 +1,4 @@
 int main(void)
 {
-	return 42;
+	return 0;
 }
PATCH
echo 0001-hello-return-0.patch >"$d/patches/series"
expect_failure "patch that does not apply" '0001-hello-return-0\.patch.*does not apply' 'hello\.c' -- \
	env BUILD_DIR="$d/build" KSRC="$d/linux" PATCHES_DIR="$d/patches" "$SCRIPTS/worktree.sh"
pass "a patch that does not apply is named with its file"
