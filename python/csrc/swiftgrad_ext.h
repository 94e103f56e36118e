/* Shared declarations of the CPython extension swiftgrad._C (one file per concern:
 * module.c errors/conversion, tensor.c the Tensor type, operations.c the operation table). */
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
/* Calls on at least this many elements release the GIL (operations.c, optim.c, sparse.c). */
#define SG_GIL_THRESHOLD 32768
/* A Tensor argument as is (no conversion: in-place targets must be real tensors); None gives
 * NULL when `optional`. Returns 0, or -1 with a TypeError naming `what`. */
int sg_tensor_handle(PyObject *obj, sg_tensor *out, int optional, const char *what);

/* operations.c: every operation of the core's table as a function and Tensor method. */
int sg_register_operations(PyObject *module);
/* Table numbers of the operations the Tensor type's protocols call (set by registration). */
extern int sg_op_add, sg_op_subtract, sg_op_multiply, sg_op_divide, sg_op_power, sg_op_matmul, sg_op_negative,
    sg_op_abs, sg_op_full, sg_op_floor_divide, sg_op_remainder, sg_op_bitwise_and, sg_op_bitwise_or, sg_op_bitwise_xor,
    sg_op_bitwise_left_shift, sg_op_bitwise_right_shift, sg_op_bitwise_invert;
extern int sg_op_compare[6]; /* Py_LT, Py_LE, Py_EQ, Py_NE, Py_GT, Py_GE */
PyObject *sg_call_unary(int op, PyObject *x);
/* Python's binary-operator protocol: NotImplemented when `y` cannot be converted. */
PyObject *sg_call_binary(int op, PyObject *x, PyObject *y);
/* A new tensor of `shape` filled with `value` (the table's `full`). */
int sg_full_tensor(sg_tensor *out, int ndim, const int64_t *shape, double value, int dtype);

int sg_register_batching(PyObject *module); /* batching.c: vmap entry points */
int sg_register_dlpack(PyObject *module);   /* dlpack.c: bfloat16 through NumPy's DLPack capsules */

/* indexing.c: index expressions, 4 int64 per item (sg_index), index arrays as tensors (kind 4). */
PyObject *sg_index_call(PyObject *self, PyObject *key);
typedef struct {
  sg_arg args[SG_MAX_DIMS];
  sg_tensor handles[SG_MAX_DIMS];
  int count;
} sg_index_arrays;
int sg_parse_index(PyObject *key, int64_t *items, sg_index_arrays *arrays); /* item count or -1 */
void sg_index_release(sg_index_arrays *arrays);

int sg_register_random(PyObject *module);    /* random.c: the generator's seed and state */
int sg_register_forward(PyObject *module);   /* forward.c: forward-mode entry points */
int sg_register_jet(PyObject *module);       /* jet.c: Taylor-mode entry points */
int sg_register_optim(PyObject *module);     /* optim.c: optimizer steps */
int sg_register_graph(PyObject *module);     /* graph.c: autograd graph introspection */
int sg_register_compile(PyObject *module);   /* compile.c: sg.compile and sg.Graph */
int sg_register_blas(PyObject *module);      /* blas.c: which BLAS is loaded, its core and threads */
int sg_register_callbacks(PyObject *module); /* callbacks.c: custom rules and hooks */
int sg_register_sparse(PyObject *module);    /* sparse.c: row-sparse gradients and their optimizers */
#endif
