// token_auth_cpp: the token authentication example in C++, with RAII
// wrappers over the C API (the header is C and C++ compatible).
//
//   token_auth_cpp BASE_URL NIP TOKEN
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ksef.h"

namespace ksef {

// Buffer owns a ksef_* answer.
struct Free {
    void operator()(char *p) const { ksef_free(p); }
};
using Buffer = std::unique_ptr<char, Free>;

class Error : public std::runtime_error {
  public:
    Error(int rc, std::string envelope) : std::runtime_error(envelope), rc(rc) {}
    int rc;
};

class Client {
  public:
    explicit Client(std::string_view config) {
        char *out = nullptr;
        size_t len = 0;
        int rc = ksef_client_new(config.data(), config.size(), &handle_, &out, &len);
        Buffer b(out);
        if (rc != KSEF_OK) throw Error(rc, std::string(out, len));
    }
    ~Client() { ksef_client_free(handle_); }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    // call returns the envelope of a successful operation, throws otherwise.
    std::string call(std::string_view op, std::string_view input = "{}") const {
        char *out = nullptr;
        size_t len = 0;
        int rc = ksef_call(handle_, op.data(), op.size(), input.data(), input.size(), &out, &len);
        Buffer b(out);
        std::string env(out ? out : "", len);
        if (rc != KSEF_OK) throw Error(rc, env);
        return env;
    }

  private:
    ksef_client_t handle_ = 0;
};

}  // namespace ksef

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s BASE_URL NIP TOKEN\n", argv[0]);
        return 2;
    }
    try {
        ksef::Client client(std::string("{\"baseUrl\":\"") + argv[1] + "\"}");
        client.call("auth.token", std::string("{\"nip\":\"") + argv[2] + "\",\"token\":\"" + argv[3] + "\"}");
        std::printf("auth.info: %s\n", client.call("auth.info").c_str());
        std::printf("auth.sessions.list: %s\n", client.call("auth.sessions.list").c_str());
    } catch (const ksef::Error &e) {
        std::fprintf(stderr, "ksef error rc=%d: %s\n", e.rc, e.what());
        return 1;
    }
    return 0;
}
