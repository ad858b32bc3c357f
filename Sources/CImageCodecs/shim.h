#ifndef FACEMATRIX_CIMAGECODECS_SHIM_H
#define FACEMATRIX_CIMAGECODECS_SHIM_H

#include <turbojpeg.h>
#include <spng.h>
#include <libexif/exif-data.h>
#include <webp/decode.h>
#include <webp/demux.h>
// The encoders and the muxer are for the tests, which build WebP and HEIF files at run time.
#include <webp/encode.h>
#include <webp/mux.h>
#include <libheif/heif.h>

#endif
