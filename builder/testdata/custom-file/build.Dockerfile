FROM busybox
RUN echo custom > /which
COPY . /ctx/
