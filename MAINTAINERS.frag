MAP_DIRECT AND S_IOMAP_SEALED
M:	Seed be320599 maintainers <maintainers@users.noreply.h-seed-be320599.example>
L:	nvdimm@lists.linux.dev
L:	linux-fsdevel@vger.kernel.org
L:	linux-mm@kvack.org
L:	linux-xfs@vger.kernel.org
L:	linux-ext4@vger.kernel.org
L:	linux-api@vger.kernel.org
S:	Maintained
F:	Documentation/userspace-api/mmap3.rst
F:	tools/testing/selftests/map_direct/
K:	\b(?:IS_)?S_IOMAP_SEALED\b
K:	\b(?:F_|FOP_M|FMODE_)?MAP_DIRECT\b
K:	\b(?:compat_)?(?:sys_)?mmap3\b
