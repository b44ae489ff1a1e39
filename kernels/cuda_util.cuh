#pragma once
// Private helpers of the CUDA translation units: the checking macro and RAII owners of device
// memory, pinned host memory, streams and events. Every owner frees on the device it was made on
// (see DeviceState in hedging_backend.cu for multi-device lifetimes).
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "hedgesim/errors.hpp"

namespace hedgesim::cuda {

inline void check(cudaError_t status, const char* what, const char* file, int line) {
  if (status != cudaSuccess)
    // std::string, not fmt: fmt 9's consteval format strings do not compile under nvcc.
    throw CudaError(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
                    "): " + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) + ")");
}

/// Where an OwnedBuffer's memory lives: device memory, or page-locked host memory so that
/// device-to-host copies run asynchronously beside kernels.
struct DeviceMemory {
  static cudaError_t allocate(void** p, std::size_t bytes) { return cudaMalloc(p, bytes); }
  static void release(void* p) { cudaFree(p); }
  static constexpr const char* kAllocate = "cudaMalloc";
};
struct PinnedMemory {
  static cudaError_t allocate(void** p, std::size_t bytes) { return cudaMallocHost(p, bytes); }
  static void release(void* p) { cudaFreeHost(p); }
  static constexpr const char* kAllocate = "cudaMallocHost";
};

/// n values of T owned for one scope (movable, not copyable).
template <class T, class Memory>
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  explicit OwnedBuffer(std::size_t n) : n_(n) {
    if (n_ > 0) {
      void* p = nullptr;
      check(Memory::allocate(&p, n_ * sizeof(T)), Memory::kAllocate, __FILE__, __LINE__);
      ptr_ = static_cast<T*>(p);
    }
  }
  ~OwnedBuffer() {
    if (ptr_) Memory::release(ptr_);
  }
  OwnedBuffer(OwnedBuffer&& o) noexcept : ptr_(o.ptr_), n_(o.n_) { o.ptr_ = nullptr, o.n_ = 0; }
  OwnedBuffer& operator=(OwnedBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(n_, o.n_);
    return *this;
  }
  T* get() const { return ptr_; }
  std::size_t size() const { return n_; }

 private:
  T* ptr_ = nullptr;
  std::size_t n_ = 0;
};

template <class T>
using DeviceBuffer = OwnedBuffer<T, DeviceMemory>;
template <class T>
using PinnedBuffer = OwnedBuffer<T, PinnedMemory>;

/// A non-blocking stream of the current device (no implicit sync with the legacy default stream).
class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags", __FILE__, __LINE__); }
  ~Stream() {
    if (s_) cudaStreamDestroy(s_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

/// An event of the current device; `timing` for cudaEventElapsedTime.
class Event {
 public:
  explicit Event(bool timing = false) {
    check(cudaEventCreateWithFlags(&e_, timing ? cudaEventDefault : cudaEventDisableTiming), "cudaEventCreateWithFlags",
          __FILE__, __LINE__);
  }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

/// Makes `device` current when destroyed: declared as the last member of a per-device aggregate, it
/// is destroyed first, so the other members release their resources on their own device.
class CurrentOnDestroy {
 public:
  explicit CurrentOnDestroy(int device) : device_(device) {}
  ~CurrentOnDestroy() { cudaSetDevice(device_); }
  CurrentOnDestroy(const CurrentOnDestroy&) = delete;
  CurrentOnDestroy& operator=(const CurrentOnDestroy&) = delete;

 private:
  int device_;
};

}  // namespace hedgesim::cuda

#define HS_CUDA_CHECK(call) ::hedgesim::cuda::check((call), #call, __FILE__, __LINE__)
