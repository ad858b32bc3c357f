#ifndef FACEMATRIX_COPENVINO_SHIM_H
#define FACEMATRIX_COPENVINO_SHIM_H
#include <openvino/c/openvino.h>
#endif
