// libarchive's read and write interfaces (Debian: libarchive-dev, pkg-config `libarchive`).
#include <archive.h>
#include <archive_entry.h>
