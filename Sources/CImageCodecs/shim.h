#ifndef FACEMATRIX_CIMAGECODECS_SHIM_H
#define FACEMATRIX_CIMAGECODECS_SHIM_H

#include <turbojpeg.h>
#include <spng.h>
#include <libexif/exif-data.h>

#endif
