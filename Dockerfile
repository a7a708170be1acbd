# nsm on Debian 12 with Node 20: the sensor (needs libpcap) and the agent.
# Build: docker build -t nsm .   Run the agent: docker run -v /path/to/conf:/etc/nsm nsm agent -f /etc/nsm/60-bro.conf
FROM node:20-bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libpcap-dev python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nsm
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
ENV NSM_HOME=/var/lib/nsm
ENTRYPOINT ["/opt/nsm/bin/nsm"]
CMD ["--help"]
