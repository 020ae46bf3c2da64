# mqplane: the two commands of the README, and a few more.
#   make demo   install what is missing, build, run the demo against a private broker
#   make test   install what is missing, build, run every test
#   make services-up|services-down|services-status|services-logs [PROFILE=prod] [SERVICES_ARGS=...]
#               the broker, with deploy/mosquitto/$(PROFILE).conf (mqplane services --help)
BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?= -DMQP_WERROR=ON

# Debian 12 packages: build, run, test.
PACKAGES = build-essential cmake pkg-config libmosquitto-dev libssl-dev libcjson-dev libyaml-dev \
           libcmocka-dev mosquitto mosquitto-clients python3 python3-yaml python3-paho-mqtt valgrind \
           openssl libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev \
           libturbojpeg0-dev ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 \
           gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly \
           libopencv-dev python3-onnx python3-numpy darknet iproute2 iptables libncurses-dev tmux \
           libmicrohttpd-dev prometheus chromium rabbitmq-server

# libFuzzer (make fuzz): clang and its runtime.
FUZZ_PACKAGES = clang libclang-rt-14-dev
FUZZ_SECONDS ?= 30

SUDO = $(if $(filter 0,$(shell id -u)),,sudo)

PROFILE ?= dev
SERVICES_ARGS ?=
MQPLANE = $(BUILD)/src/cli/mqplane

.PHONY: all deps build test demo sanitize tsan valgrind fuzz bench install format format-check clean \
        services-up services-down services-status services-logs

all: build

deps:
	@missing=$$(for p in $(PACKAGES) $(EXTRA_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

demo: build
	$(MQPLANE) demo

services-up: build
	$(MQPLANE) services up --profile $(PROFILE) $(SERVICES_ARGS)
services-down:
	$(MQPLANE) services down $(SERVICES_ARGS)
services-status:
	$(MQPLANE) services status $(SERVICES_ARGS)
services-logs:
	$(MQPLANE) services logs $(SERVICES_ARGS)

# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included).
sanitize: deps
	cmake -S . -B $(BUILD)-asan $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug \
	  -DMQP_SANITIZE=address,undefined -DMQP_WITH_WEB=OFF
	cmake --build $(BUILD)-asan -j$(JOBS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --test-dir $(BUILD)-asan --output-on-failure -j$(JOBS) -LE rabbitmq

# ThreadSanitizer on the threaded tests (CTest label tsan): the client's and the planes'
# integration tests and the node's own (tests/tsan.supp says what is suppressed, and why).
tsan: deps
	cmake -S . -B $(BUILD)-tsan $(CMAKE_FLAGS) -DMQP_SANITIZE=thread -DMQP_WITH_OPENCV=OFF \
	  -DMQP_BUILD_BENCH=OFF -DMQP_BUILD_EXAMPLES=OFF -DMQP_WITH_WEB=OFF
	cmake --build $(BUILD)-tsan -j$(JOBS)
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 exitcode=66" \
	  ctest --test-dir $(BUILD)-tsan --output-on-failure -j$(JOBS) -L tsan

valgrind: build
	scripts/valgrind.sh $(BUILD)

# libFuzzer on every parser of outside input, FUZZ_SECONDS each, from the committed corpus
# (tests/fuzz/corpus; the normal build runs that corpus as tests).
fuzz:
	$(MAKE) deps EXTRA_PACKAGES="$(FUZZ_PACKAGES)"
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DMQP_FUZZ=ON -DMQP_SANITIZE=address,undefined \
	  -DMQP_BUILD_BENCH=OFF -DMQP_BUILD_EXAMPLES=ON -DMQP_WITH_OPENCV=AUTO
	cmake --build $(BUILD)-fuzz -j$(JOBS) --target fuzz-all
	scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench: build
	bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')

# The style, checked as CI checks it (.clang-format; Debian 12's clang-format 14).
format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(BUILD)-asan
