export * from './deployment-fit';
export * from './messages-request.transform';
export * from './messages-response.transform';
export * from './messages-stream.transform';
export * from './messages-stream.validator';
