FROM busybox
RUN echo custom > /which
