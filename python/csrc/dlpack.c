/* DLPack's bfloat16 (sg.from_dlpack, Tensor.__dlpack__): NumPy exports and imports DLPack
 * capsules but has no bfloat16, so a bfloat16 tensor travels as NumPy's uint16 capsule over the
 * same memory with the capsule's dtype code changed to kDLBfloat (and back on import). Only the
 * dtype field is touched: the memory, shape, strides and NumPy's deleter stay as NumPy made them. */
#include "swiftgrad_ext.h"

#include <string.h>

/* The leading fields of DLPack's DLTensor (dlpack.h, ABI-stable since 0.x). */
typedef struct {
  void *data;
  int32_t device_type, device_id;
  int32_t ndim;
  uint8_t code, bits;
  uint16_t lanes;
} dl_tensor_head;

/* DLManagedTensorVersioned (DLPack >= 1.0): version, manager_ctx, deleter, flags, then the tensor. */
typedef struct {
  uint32_t major, minor;
  void *manager_ctx;
  void (*deleter)(void *);
  uint64_t flags;
} dl_versioned_head;

static dl_tensor_head *capsule_tensor(PyObject *capsule) {
  const char *name = PyCapsule_GetName(capsule);
  if (name == NULL) return NULL;
  void *pointer = PyCapsule_GetPointer(capsule, name);
  if (pointer == NULL) return NULL;
  if (strcmp(name, "dltensor") == 0) return (dl_tensor_head *)pointer;
  if (strcmp(name, "dltensor_versioned") == 0) return (dl_tensor_head *)((dl_versioned_head *)pointer + 1);
  PyErr_Format(PyExc_ValueError, "DLPack: expected an unconsumed 'dltensor' capsule, got one named '%s'", name);
  return NULL;
}

/* dlpack_retype(capsule, code, bits): sets the DLPack dtype (code, bits, lanes 1) of an
 * unconsumed capsule; returns the old (code, bits, lanes). code -1 only reads it. */
static PyObject *py_dlpack_retype(PyObject *self, PyObject *args) {
  PyObject *capsule;
  int code, bits;
  if (!PyArg_ParseTuple(args, "Oii", &capsule, &code, &bits)) return NULL;
  if (!PyCapsule_CheckExact(capsule)) return PyErr_Format(PyExc_TypeError, "DLPack: expected a capsule");
  dl_tensor_head *tensor = capsule_tensor(capsule);
  if (tensor == NULL) return NULL;
  PyObject *old = Py_BuildValue("(iii)", tensor->code, tensor->bits, tensor->lanes);
  if (old != NULL && code >= 0) {
    if (code > 255 || bits < 1 || bits > 255) {
      Py_DECREF(old);
      return PyErr_Format(PyExc_ValueError, "DLPack: bad dtype code %d bits %d", code, bits);
    }
    tensor->code = (uint8_t)code;
    tensor->bits = (uint8_t)bits;
    tensor->lanes = 1;
  }
  return old;
}

static PyMethodDef dlpack_methods[] = {
    {"dlpack_retype", py_dlpack_retype, METH_VARARGS,
     "dlpack_retype(capsule, code, bits): set an unconsumed DLPack capsule's dtype; returns the old one."},
    {NULL, NULL, 0, NULL}};

int sg_register_dlpack(PyObject *module) { return PyModule_AddFunctions(module, dlpack_methods); }
