#pragma once
// Private helpers of the CUDA translation units: the checking macro and RAII owners of device
// memory, pinned host memory, streams and events. Every owner frees on the device it was made on
// (see DeviceState in cuda_backend.cu for multi-device lifetimes).
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

/// Device memory owned for one scope.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    if (n_ > 0) check(cudaMalloc(&ptr_, n_ * sizeof(T)), "cudaMalloc", __FILE__, __LINE__);
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), n_(o.n_) { o.ptr_ = nullptr, o.n_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
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

/// Page-locked host memory, so device-to-host copies run asynchronously beside kernels.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t n) : n_(n) {
    if (n_ > 0) check(cudaMallocHost(&ptr_, n_ * sizeof(T)), "cudaMallocHost", __FILE__, __LINE__);
  }
  ~PinnedBuffer() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  PinnedBuffer(PinnedBuffer&& o) noexcept : ptr_(o.ptr_), n_(o.n_) { o.ptr_ = nullptr, o.n_ = 0; }
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
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
