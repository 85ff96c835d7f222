# The function image, and its only build path (README "Deploying", terraform/README.md step 3):
#   make image IMAGE=<region-key>.ocir.io/<namespace>/block-backup:0.1.0 [PLATFORM=linux/arm64] [DOCKER=podman]
# = docker build --platform linux/amd64 -t <image> .   (the platform of the application shape: the
# wheels of cryptography and pydantic-core are compiled code, so an ARM laptop must not build for itself).
# It is what the Fn CLI generates for runtime python3.12 plus --no-deps and byte-compiled code;
# func.yaml says runtime: docker, so `fn build` builds this file too.
FROM fnproject/python:3.12-dev AS build-stage
WORKDIR /function
ADD requirements.txt /function/
# --require-hashes: every file must match a hash its pin lists. --no-deps: requirements.txt is the
# complete, pinned run-time set (fdk's test-only install requirements are deliberately left out).
RUN pip3 install --target /python/ --no-cache --no-cache-dir --require-hashes --no-deps -r requirements.txt \
    && rm -fr ~/.cache/pip /tmp* requirements.txt func.yaml Dockerfile .venv \
    && chmod -R o+r /python
ADD . /function/
# A function's file system is read-only (only /tmp is writable), so Python cannot cache the bytecode
# of our own modules at run time: compile it here, or every cold start compiles shared/ and functions/
# again (~30 ms). unchecked-hash: valid whatever the files' times after COPY.
RUN rm -fr /function/.pip_cache \
    && python3 -m compileall -q --invalidation-mode unchecked-hash /function/func.py /function/shared /function/functions

FROM fnproject/python:3.12
WORKDIR /function
COPY --from=build-stage /python /python
COPY --from=build-stage /function /function
RUN chmod -R o+r /function
ENV PYTHONPATH=/function:/python
ENTRYPOINT ["/python/bin/fdk", "/function/func.py", "handler"]
