/* Shared declarations of the CPython extension swiftgrad._C (one file per concern:
 * module.c errors/conversion, tensor.c the Tensor type, ops.c the op binding table). */
#ifndef SWIFTGRAD_EXT_H
#define SWIFTGRAD_EXT_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include "swiftgrad.h"

typedef struct {
  PyObject_HEAD
  sg_tensor handle;
  PyObject *weakrefs;
} TensorObject;

extern PyTypeObject SGTensorBase_Type;

/* The Python subclass (swiftgrad.Tensor) whose instances wrap results; set at import. */
extern PyTypeObject *sg_tensor_class;
/* Python callable converting arbitrary array-likes to a NumPy array of a supported dtype. */
extern PyObject *sg_array_converter;

/* Wraps a new handle (ownership moves into the object). On NULL handle returns NULL. */
PyObject *sg_wrap(sg_tensor handle);
/* Raises the Python exception matching the last Swift error; returns NULL. */
PyObject *sg_raise(int status);
int sg_raise_int(int status);

/* A tensor argument: borrowed from a Tensor object, or made for a scalar/array (owned). */
typedef struct {
  sg_tensor handle;
  int owned;
} sg_arg;
int sg_arg_from(PyObject *obj, sg_arg *arg, const char *what);
void sg_arg_release(sg_arg *arg);
int sg_is_tensor(PyObject *obj);

/* int64 arrays from Python ints or sequences of ints. Returns count or -1 on error. */
int sg_int_list(PyObject *obj, int64_t *out, int capacity, const char *what);
#define SG_MAX_DIMS 64

/* Binding table and tensor-type extras, registered by module init. */
int sg_register_ops(PyObject *module);
int sg_register_forward(PyObject *module); /* forward.c: forward-mode entry points */
int sg_register_batching(PyObject *module); /* batching.c: vmap entry points */
PyObject *sg_binary_call(int (*fn)(sg_tensor *, sg_tensor, sg_tensor), PyObject *a, PyObject *b);
PyObject *sg_index_call(PyObject *self, PyObject *key);
/* Encodes a Python index expression (4 int64 per item); returns the item count or -1. */
/* Index keys: 4 int64 per item (sg_index), array items as tensors (kind 4). */
typedef struct {
  sg_arg args[SG_MAX_DIMS];
  sg_tensor handles[SG_MAX_DIMS];
  int count;
} sg_index_arrays;
int sg_parse_index(PyObject *key, int64_t *items, sg_index_arrays *arrays);
void sg_index_release(sg_index_arrays *arrays);
/* nn / optim / graph: optim.c, graph.c */
int sg_register_optim(PyObject *module);
int sg_register_graph(PyObject *module);
int sg_register_graphmode(PyObject *module); /* graphmode.c: sg.compile and sg.Graph */
int sg_register_linalg(PyObject *module);    /* linalg.c: decompositions */
int sg_register_blas(PyObject *module);      /* blas.c: which BLAS is loaded, its core and threads */
int sg_register_composites(PyObject *module);
int sg_register_callbacks(PyObject *module);
int sg_register_shapemath(PyObject *module); /* shapemath.c: shape and math operators */
#endif
