MAP_DIRECT AND SEALED BLOCK MAPS (S_IOMAP_SEALED, mmap3, F_MAP_DIRECT)
M:	TBD (filled in with the documentation issue)
L:	linux-mm@kvack.org
L:	linux-fsdevel@vger.kernel.org
S:	Maintained
