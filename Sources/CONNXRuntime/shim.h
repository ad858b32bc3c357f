#ifndef FACEMATRIX_CONNXRUNTIME_SHIM_H
#define FACEMATRIX_CONNXRUNTIME_SHIM_H
#include <onnxruntime_c_api.h>
#endif
