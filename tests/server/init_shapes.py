"""Small hand-written repositories in the shapes of two public ones, for ``deploystate init`` tests.

MICROSERVICES: GoogleCloudPlatform/microservices-demo (plain manifests, a kustomize base with a
component that deletes the loadgenerator, a release bundle, a Helm chart, skaffold.yaml naming each
image's context, cloudbuild.yaml running skaffold). Four workloads, one of them a third-party image.
REACT_EXPRESS_MYSQL: docker/awesome-compose react-express-mysql (backend source bind-mounted and run
under nodemon, a React dev server, a database image).
"""

from __future__ import annotations


def _deployment(name: str, image: str, extra: str = "", namespace: str = "") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}
  labels: {{app: {name}}}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: server
          image: {image}{extra}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80}}]
"""


WORKLOADS = {"adservice": "src/adservice", "cartservice": "src/cartservice/src",
             "loadgenerator": "src/loadgenerator", "redis-cart": None}
RELEASE = "us-central1-docker.pkg.dev/google-samples/microservices-demo"

MICROSERVICES: dict[str, str] = {
    "skaffold.yaml": """\
apiVersion: skaffold/v4beta9
kind: Config
metadata: {name: app}
build:
  artifacts:
    - image: adservice
      context: src/adservice
    - image: cartservice
      context: src/cartservice/src
      docker: {dockerfile: Dockerfile}
    - image: loadgenerator
      context: src/loadgenerator
  tagPolicy:
    gitCommit: {}
manifests:
  kustomize:
    paths: [kubernetes-manifests]
""",
    "cloudbuild.yaml": """\
steps:
  - id: deploy
    name: gcr.io/k8s-skaffold/skaffold:v2.10.0
    entrypoint: bash
    args: ["-c", "skaffold run --default-repo=gcr.io/$PROJECT_ID"]
""",
    "src/adservice/Dockerfile": "FROM eclipse-temurin:21\nCOPY . /app\nCMD [\"/app/run\"]\n",
    "src/adservice/src/main/AdService.java": "class AdService {}\n",
    "src/cartservice/src/Dockerfile": "FROM mcr.microsoft.com/dotnet/sdk:8.0\nCOPY . .\n",
    "src/cartservice/src/cartservice.csproj": "<Project/>\n",
    "src/loadgenerator/Dockerfile": "FROM python:3.12\nCOPY locustfile.py .\n",
    "src/loadgenerator/locustfile.py": "print('load')\n",
    "kustomize/base/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [adservice.yaml, cartservice.yaml, loadgenerator.yaml, redis.yaml]
""",
    "kustomize/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [base]
components: [components/without-loadgenerator]
""",
    "kustomize/components/without-loadgenerator/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - path: delete-loadgenerator.yaml
""",
    "kustomize/components/without-loadgenerator/delete-loadgenerator.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: loadgenerator
$patch: delete
""",
    "helm-chart/Chart.yaml": "apiVersion: v2\nname: onlineboutique\nversion: 0.10.1\n",
    "helm-chart/values.yaml": "images:\n  repository: " + RELEASE + "\nadService:\n  create: true\n  name: adservice\n",
    "helm-chart/templates/adservice.yaml": """\
{{- if .Values.adService.create }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Values.adService.name }}
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels: {app: {{ .Values.adService.name }}}
  template:
    spec:
      containers:
        - name: server
          image: {{ .Values.images.repository }}/adservice:{{ .Values.images.tag | default .Chart.AppVersion }}
{{- end }}
""",
}
for _name, _src in WORKLOADS.items():
    _image = "redis:alpine" if _src is None else _name
    _file = "redis.yaml" if _src is None else f"{_name}.yaml"
    MICROSERVICES[f"kubernetes-manifests/{_file}"] = _deployment(_name, _image)
    MICROSERVICES[f"kustomize/base/{_file}"] = _deployment(_name, _image)
MICROSERVICES["release/kubernetes-manifests.yaml"] = "---\n".join(
    _deployment(n, "redis:alpine" if s is None else f"{RELEASE}/{n}:v0.10.1") for n, s in WORKLOADS.items())


REACT_EXPRESS_MYSQL: dict[str, str] = {
    "compose.yaml": """\
services:
  backend:
    build:
      context: backend
      target: development
    environment:
      - DATABASE_DB=example
    ports:
      - 80:80
      - 9229:9229
    volumes:
      - ./backend/src:/code/src:ro
    depends_on: [db]
  db:
    image: mariadb:10.6.4-focal
    volumes:
      - db-data:/var/lib/mysql
  frontend:
    build:
      context: frontend
      target: development
    ports:
      - 3000:3000
    volumes:
      - ./frontend/src:/code/src
      - /code/node_modules
volumes:
  db-data: {}
""",
    "backend/Dockerfile": """\
FROM node:lts AS development
WORKDIR /code
COPY package.json package-lock.json ./
RUN npm ci
COPY src ./src
CMD [ "npm", "run", "start-watch" ]

FROM development AS production
CMD [ "npm", "start" ]
""",
    "backend/package.json": '{"scripts": {"start": "node src/index.js", '
                            '"start-watch": "nodemon --inspect=0.0.0.0:9229 src/index.js"}}\n',
    "backend/src/index.js": "console.log('backend')\n",
    "frontend/Dockerfile": "FROM node:lts AS development\nWORKDIR /code\nCOPY . .\nCMD [ \"npm\", \"start\" ]\n",
    "frontend/package.json": '{"scripts": {"start": "react-scripts start", "build": "react-scripts build"}}\n',
    "frontend/src/App.js": "export default () => null\n",
}
